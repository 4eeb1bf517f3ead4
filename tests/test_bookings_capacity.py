"""services.bookings.capacity: when a day has room, what holds a place (counted alike by the
service and by the planning's SQL), and the lock of an activity's days."""

import datetime as dt
from collections import Counter

import pytest

from wagtail_family_portal.models import (
    Activity,
    ActivityDay,
    BookingLine,
    ChildDay,
    DayState,
    Request,
)
from wagtail_family_portal.planning import _load_places_held
from wagtail_family_portal.services.bookings import capacity
from wagtail_family_portal.services.bookings.transitions import DAY_STATES

from . import factories

# Thursday 19 and Friday 20 November 2026.
THURSDAY = dt.date(2026, 11, 19)
FRIDAY = THURSDAY + dt.timedelta(days=1)
# What DESIGN.md §3 says holds a place: a booked day, and a booked day whose absence waits.
HOLDING = {DayState.BOOKED, DayState.ABSENCE_REQUESTED}


@pytest.mark.parametrize(
    ("limit", "taken", "room"),
    [
        (None, 0, True),
        (None, 10_000, True),
        (0, 0, False),
        (2, 0, True),
        (2, 1, True),
        (2, 2, False),
        (2, 3, False),
    ],
)
def test_a_day_has_room_below_the_capacity_and_always_without_one(limit, taken, room):
    assert capacity.has_room(Activity(capacity=limit), taken) is room


def fill_every_state(family, activity, day) -> Counter:
    """One child's day of ``activity`` on ``day`` in every state a line gives its day (with that
    line), and in every state of a day without a line; the states written, counted."""
    written = Counter()
    request = Request.objects.create(family=family, kind="booking", topic="booking")
    for (operation, line_state), day_state in DAY_STATES.items():
        child = factories.ChildFactory(family=family)
        line = BookingLine.objects.create(
            request=request,
            child=child,
            activity=activity,
            date=day,
            operation=operation,
            state=line_state,
        )
        if day_state != DayState.ENROLLED:  # an enrolled day has no row
            ChildDay.objects.create(
                child=child, activity=activity, date=day, state=day_state, line=line
            )
            written[day_state] += 1
    for state in DayState:
        child = factories.ChildFactory(family=family)
        ChildDay.objects.create(child=child, activity=activity, date=day, state=state)
        written[state] += 1
    return written


def test_the_planning_counts_in_sql_the_places_the_service_counts(municipality):
    school = factories.EstablishmentFactory(municipality=municipality)
    centre = factories.ActivityFactory(establishment=school, capacity=40)
    canteen = factories.ActivityFactory(establishment=school, capacity=40)
    unlimited = factories.ActivityFactory(establishment=school, capacity=None)
    family = factories.FamilyFactory(municipality=municipality)
    written = {
        (centre, THURSDAY): fill_every_state(family, centre, THURSDAY),
        (centre, FRIDAY): fill_every_state(family, centre, FRIDAY),
        (canteen, THURSDAY): fill_every_state(family, canteen, THURSDAY),
        (unlimited, THURSDAY): fill_every_state(family, unlimited, THURSDAY),
    }
    held = {key: sum(counts[state] for state in HOLDING) for key, counts in written.items()}

    by_service = {
        (activity.pk, day): taken
        for activity in (centre, canteen)
        for day, taken in capacity.places_taken(activity, [THURSDAY, FRIDAY]).items()
    }
    by_planning = _load_places_held([centre, canteen, unlimited], THURSDAY, FRIDAY)

    assert held[centre, THURSDAY] == 6  # every way of holding a place, each counted once
    assert (
        by_planning
        == by_service
        == {
            (centre.pk, THURSDAY): held[centre, THURSDAY],
            (centre.pk, FRIDAY): held[centre, FRIDAY],
            (canteen.pk, THURSDAY): held[canteen, THURSDAY],
        }
    )
    # No limit, nothing to count for the planning; the service still counts the places.
    assert capacity.places_taken(unlimited, [THURSDAY]) == {THURSDAY: held[unlimited, THURSDAY]}


def test_locking_days_creates_each_missing_day_once(municipality):
    centre = factories.ActivityFactory(establishment__municipality=municipality, capacity=2)

    capacity.lock_days(centre, [FRIDAY, THURSDAY, THURSDAY])
    capacity.lock_days(centre, [THURSDAY])

    days = ActivityDay.objects.filter(activity=centre).values_list("date", flat=True)
    assert sorted(days) == [THURSDAY, FRIDAY]
