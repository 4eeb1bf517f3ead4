"""The waiting list: who is first in line for a place, and the promotion when one is freed.

A booking that finds its day full on an activity with a waiting list queues (``decisions.py``);
the child's day is then ``waiting_list`` with the time it joined the queue (``queued_at``). When
a place is freed — an accepted absence, more capacity — the first in line gets it at once.

The queue has one order, ``QUEUE_KEYS``: the promotion and the attendance sheet read it as
``QUEUE_ORDER`` (``queue``), the planning's ranks as SQL (``ahead_in_queue_sql``).
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ...models import Activity
from ...models.bookings import BookingLine, ChildDay, DayState
from . import capacity, transitions

LineState = BookingLine.State

# The order of the queue of one activity on one date: first queued, first served; a day without
# a time of queueing (the services always write one) after those with one; then the day written
# first. Each key is (column, whether it may be NULL).
QUEUE_KEYS = (("queued_at", True), ("id", False))
QUEUE_ORDER = tuple(
    F(column).asc(nulls_last=True) if nullable else F(column).asc()
    for column, nullable in QUEUE_KEYS
)


def queue(activity: Activity, dates):
    """The days on the waiting list of ``activity`` on ``dates``: date by date, in queue order."""
    return ChildDay.objects.filter(
        activity=activity, date__in=dates, state=DayState.WAITING_LIST
    ).order_by("date", *QUEUE_ORDER)


def ahead_in_queue_sql(ahead: str, behind: str) -> str:
    """The SQL condition "the row aliased ``ahead`` comes before the row aliased ``behind``" in
    the order of ``QUEUE_KEYS``, both rows on the same activity and date: the planning counts
    the days ahead of each of a family's days to give its rank, in the query that reads them."""

    def before(keys) -> str:
        (column, nullable), rest = keys[0], keys[1:]
        first, second = f"{ahead}.{column}", f"{behind}.{column}"
        clauses = [f"{first} < {second}"]
        if nullable:
            clauses.append(f"({first} IS NOT NULL AND {second} IS NULL)")
        if rest:
            same = f"{first} = {second}"
            if nullable:
                same = f"({same} OR ({first} IS NULL AND {second} IS NULL))"
            clauses.append(f"({same} AND {before(rest)})")
        return "(" + " OR ".join(clauses) + ")"

    return before(QUEUE_KEYS)


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
    promoted = []
    for row in queue(activity, dates).select_related("line"):
        if not capacity.has_room(activity, taken.get(row.date, 0)) or row.line is None:
            continue
        taken[row.date] = taken.get(row.date, 0) + 1
        promoted.append(row.line)
    if not promoted:
        return []
    now = timezone.now()
    if activity.booking_mode == Activity.BookingMode.AUTOMATIC:
        transitions.finish(promoted, LineState.ACCEPTED, None, "", now, False, notify=True)
    else:
        # Proposed to the agents: the line waits for a decision again, its place kept.
        transitions.finish(promoted, LineState.PENDING, None, "", now, False)
    transitions.set_days(promoted)
    transitions.refresh_requests({line.request_id for line in promoted})
    return promoted
