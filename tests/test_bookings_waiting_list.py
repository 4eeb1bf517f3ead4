"""services.bookings.waiting_list: the one order of the queue — that of the promotion, of the
attendance sheet and of the planning's ranks — and the promotion."""

import datetime as dt

import pytest

from wagtail_family_portal.models import Activity, BookingLine, ChildDay, DayState, Request
from wagtail_family_portal.planning import build_planning
from wagtail_family_portal.services import bookings
from wagtail_family_portal.services.bookings.waiting_list import queue

from . import factories

# Thursday 19 November 2026, long before its deadline.
THURSDAY = dt.date(2026, 11, 19)
EARLY = dt.datetime(2026, 11, 1, 9, 0)
AT = dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
# Written in this order (so ids follow it), with these times of queueing.
WRITTEN = [
    ("Ninon", None),
    ("Louis", AT + 2 * HOUR),
    ("Inès", AT + HOUR),
    ("Jules", AT + HOUR),
    ("Anna", AT),
    ("Noé", None),
]
# First queued first; a tie goes to the day written first; a day without a time comes last.
QUEUE = ["Anna", "Inès", "Jules", "Louis", "Ninon", "Noé"]


@pytest.fixture
def centre(municipality):
    """Overrides conftest's centre: Thursdays, one place, a waiting list, accepted automatically;
    nobody enrolled (each test puts its queue on the day)."""
    return factories.ActivityFactory(
        establishment__municipality=municipality,
        name="Accueil de loisirs",
        weekdays=[3],
        capacity=1,
        waiting_list=True,
        booking_mode=Activity.BookingMode.AUTOMATIC,
    )


@pytest.fixture
def queued(municipality, centre):
    """The children of ``WRITTEN`` on the waiting list of ``centre`` on Thursday (one family,
    each day with its waiting line), behind a child of another family holding the place; and
    waiting days of the same children on another day and another activity, in another order."""
    family = factories.FamilyFactory(municipality=municipality)
    request = Request.objects.create(family=family, kind="booking", topic="booking")
    other_activity = factories.ActivityFactory(
        establishment=centre.establishment, weekdays=[3], capacity=1, waiting_list=True
    )
    ChildDay.objects.create(
        child=factories.ChildFactory(family=factories.FamilyFactory(municipality=municipality)),
        activity=centre,
        date=THURSDAY,
        state=DayState.BOOKED,
    )
    children = {}
    for name, queued_at in WRITTEN:
        child = children[name] = factories.ChildFactory(family=family, first_name=name)
        factories.EnrolmentFactory(child=child, activity=centre)
        line = BookingLine.objects.create(
            request=request,
            child=child,
            activity=centre,
            date=THURSDAY,
            operation=BookingLine.Operation.BOOKING,
            state=BookingLine.State.WAITING_LIST,
        )
        ChildDay.objects.create(
            child=child,
            activity=centre,
            date=THURSDAY,
            state=DayState.WAITING_LIST,
            line=line,
            queued_at=queued_at,
        )
    elsewhere = [(centre, THURSDAY + dt.timedelta(days=7)), (other_activity, THURSDAY)]
    for offset, name in enumerate(reversed(QUEUE)):
        for activity, day in elsewhere:
            ChildDay.objects.create(
                child=children[name],
                activity=activity,
                date=day,
                state=DayState.WAITING_LIST,
                queued_at=AT - offset * HOUR,
            )
    return children


def test_the_queue_is_first_queued_first_then_first_written_then_without_a_time(centre, queued):
    assert [day.child.first_name for day in queue(centre, [THURSDAY])] == QUEUE


def test_the_planning_ranks_follow_the_queue(centre, queued):
    family = queued["Anna"].family

    planning = build_planning(family, THURSDAY, THURSDAY, activities=[centre.pk], now=EARLY)

    ranks = {cell.child_id: cell.rank for cell in planning.cells}
    assert ranks == {queued[name].pk: rank for rank, name in enumerate(QUEUE, start=1)}


def test_freed_places_go_to_the_first_in_line(centre, queued):
    centre.capacity = 3
    centre.save(update_fields=["capacity"])

    promoted = bookings.capacity_changed(centre, today=THURSDAY)

    assert [line.child.first_name for line in promoted] == ["Anna", "Inès"]
    waiting = queue(centre, [THURSDAY])
    assert [day.child.first_name for day in waiting] == ["Jules", "Louis", "Ninon", "Noé"]
    assert (
        ChildDay.objects.filter(activity=centre, date=THURSDAY, state=DayState.BOOKED).count() == 3
    )
