"""The waiting list: who is first in line for a place, and the promotion when one is freed.

A booking that finds its day full on an activity with a waiting list queues (``decisions.py``);
the child's day is then ``waiting_list`` with the time it joined the queue (``queued_at``). When
a place is freed — an accepted absence, more capacity — the first in line gets it at once.
"""

from django.db import transaction
from django.utils import timezone

from ...models import Activity
from ...models.bookings import BookingLine, ChildDay, DayState
from . import capacity, transitions

LineState = BookingLine.State


def promote(activity: Activity, dates) -> list[BookingLine]:
    """Give freed places to the first in line (after an absence, a withdrawal, more capacity)."""
    with transaction.atomic():
        capacity.lock_days(activity, dates)
        return promote_locked(activity, dates)


def promote_locked(activity: Activity, dates) -> list[BookingLine]:
    """``promote``, in the caller's transaction, which has locked the days (``lock_days``)."""
    if activity.capacity is None and not activity.waiting_list:
        return []
    taken = capacity.places_taken(activity, dates)
    queue = (
        ChildDay.objects.filter(activity=activity, date__in=dates, state=DayState.WAITING_LIST)
        .select_related("line")
        .order_by("date", "queued_at", "pk")
    )
    promoted = []
    for row in queue:
        if not capacity.has_room(activity, taken.get(row.date, 0)) or row.line is None:
            continue
        taken[row.date] = taken.get(row.date, 0) + 1
        promoted.append(row.line)
    if not promoted:
        return []
    now = timezone.now()
    if activity.booking_mode == Activity.BookingMode.AUTOMATIC:
        transitions.finish(promoted, LineState.ACCEPTED, None, "", now, False, notify=True)
        transitions.set_days(promoted, DayState.BOOKED)
    else:
        # Proposed to the agents: the line waits for a decision again, its place kept.
        transitions.finish(promoted, LineState.PENDING, None, "", now, False)
        transitions.set_days(promoted, DayState.BOOKING_REQUESTED)
    transitions.refresh_requests({line.request_id for line in promoted})
    return promoted
