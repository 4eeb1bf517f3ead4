"""services.bookings.rules: the working-day window, the one reach of the closures read before the
days judged, by the requests and by the planning alike."""

import datetime as dt

import pytest

from wagtail_family_portal.models import Activity, Closure
from wagtail_family_portal.planning import build_planning
from wagtail_family_portal.services import bookings
from wagtail_family_portal.services.bookings.rules import working_day_window

from . import factories


def activity(booking=2, absence=2, working_days=True) -> Activity:
    return Activity(
        booking_deadline_days=booking,
        absence_deadline_days=absence,
        deadline_working_days=working_days,
    )


@pytest.mark.parametrize(
    ("activities", "days"),
    [
        ([], 0),
        ([activity(working_days=False)], 0),  # calendar days: no closure before is needed
        ([activity(booking=0, absence=0)], 0),  # the day itself: no day to count back
        ([activity()], 90),  # never less than 90 days
        ([activity(booking=29)], 90),
        ([activity(booking=30)], 91),  # 2N + 31 beyond
        ([activity(booking=10, absence=60)], 151),  # the longer of the two deadlines
        ([activity(booking=60, working_days=False), activity(absence=40)], 111),
    ],
)
def test_the_window_grows_with_the_longest_deadline_counted_in_working_days(activities, days):
    assert working_day_window(activities) == dt.timedelta(days=days)


# Monday 1 March 2027; sixty working days before it, counted over the Christmas holidays and a
# bridge day in November, is Friday 20 November 2026 — more than 90 days before.
DAY = dt.date(2027, 3, 1)
LAST_MOMENT = dt.datetime(2026, 11, 20, 10, 0)


def test_the_requests_and_the_planning_count_a_long_deadline_over_the_same_days_off(
    municipality, family
):
    canteen = factories.ActivityFactory(
        establishment__municipality=municipality,
        booking_deadline_days=60,
        deadline_working_days=True,
    )
    lea = factories.ChildFactory(family=family, first_name="Léa")
    factories.EnrolmentFactory(child=lea, activity=canteen)
    factories.ClosureFactory(municipality=municipality)  # Christmas holidays
    bridge = dt.date(2026, 11, 27)
    factories.ClosureFactory(
        municipality=municipality,
        label="Pont",
        kind=Closure.Kind.CLOSURE,
        start_date=bridge,
        end_date=bridge,
    )
    minute = dt.timedelta(minutes=1)

    for now, reason in ((LAST_MOMENT - minute, None), (LAST_MOMENT + minute, "deadline_passed")):
        (cell,) = build_planning(family, DAY, DAY, now=now).cells
        ok, skipped = bookings.preview_days(
            family=family,
            child_id=lea.pk,
            activity_id=canteen.pk,
            operation="booking",
            dates=[DAY],
            now=now,
        )
        assert cell.deadline == LAST_MOMENT
        assert cell.reason == reason
        assert [s.reason for s in skipped] == ([reason] if reason else [])
        assert ok == ([] if reason else [DAY])
