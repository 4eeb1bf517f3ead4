"""services.bookings.transitions: a line's state gives its child's day the state DAY_STATES says,
whatever the change that brought it there."""

import datetime as dt

import pytest

from wagtail_family_portal.models import BookingLine, ChildDay, DayState, Request
from wagtail_family_portal.services.bookings import transitions
from wagtail_family_portal.services.bookings.transitions import DAY_STATES

from . import factories

THURSDAY = dt.date(2026, 11, 19)
QUEUED_AT = dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)


def line_of(request, child, activity, operation, state):
    return BookingLine.objects.create(
        request=request,
        child=child,
        activity=activity,
        date=THURSDAY,
        operation=operation,
        state=state,
    )


@pytest.mark.parametrize(("operation", "line_state"), list(DAY_STATES))
def test_each_line_state_gives_its_day_the_state_of_the_table(municipality, operation, line_state):
    family = factories.FamilyFactory(municipality=municipality)
    child = factories.ChildFactory(family=family)
    activity = factories.ActivityFactory(establishment__municipality=municipality)
    request = Request.objects.create(family=family, kind=operation, topic=operation)
    line = line_of(request, child, activity, operation, BookingLine.State.PENDING)
    # The day as it was asked: booked (by its booking line) for an absence, asked for a booking.
    booking = line
    if operation == "absence":
        booking = line_of(request, child, activity, "booking", BookingLine.State.ACCEPTED)
    ChildDay.objects.create(
        child=child,
        activity=activity,
        date=THURSDAY,
        state=DayState.BOOKED if operation == "absence" else DayState.BOOKING_REQUESTED,
        line=booking,
    )
    line.state = line_state

    transitions.set_days([line], queued_at=QUEUED_AT)

    day = ChildDay.objects.filter(child=child, activity=activity, date=THURSDAY).first()
    expected = DAY_STATES[operation, line_state]
    if expected == DayState.ENROLLED:
        assert day is None  # an enrolled day has no row
        return
    assert day.state == expected
    # An absence that leaves its day booked leaves it to its booking line.
    assert day.line == (booking if expected == DayState.BOOKED else line)
    assert day.queued_at == (QUEUED_AT if expected == DayState.WAITING_LIST else None)
