"""How a change of a line reaches everything that follows it: the line's state and history, the
state of the child's day, and the state of the request.

Every change of ``requests.py``, ``decisions.py`` and ``waiting_list.py`` goes through these
functions, in the caller's transaction: ``finish`` gives lines their new state (with one history
entry each, and the decision in the outbox of the family's digest), ``set_days`` gives their
children's days the state ``DAY_STATES`` says — the one table of the state a line gives its
day —, ``refresh_requests`` the state of their requests.
"""

from collections import defaultdict

from django.utils import timezone

from ...models import Request, RequestEvent
from ...models.bookings import BookingLine, BookingLineEvent, ChildDay, DayState
from .. import notifications

Operation = BookingLine.Operation
LineState = BookingLine.State
# The line states a family hears about in its digest.
NOTIFIED_STATES = (LineState.ACCEPTED, LineState.REFUSED, LineState.WAITING_LIST)
# The line states still open: waiting for an agent, or for a place on the waiting list.
OPEN_STATES = (LineState.PENDING, LineState.WAITING_LIST)

# The state a line gives its day, by operation and line state (DESIGN.md §3). A withdrawn line
# leaves the day as it was before: enrolled for a booking, booked for an absence.
DAY_STATES = {
    (Operation.BOOKING, LineState.PENDING): DayState.BOOKING_REQUESTED,
    (Operation.BOOKING, LineState.ACCEPTED): DayState.BOOKED,
    (Operation.BOOKING, LineState.WAITING_LIST): DayState.WAITING_LIST,
    (Operation.BOOKING, LineState.REFUSED): DayState.REFUSED,
    (Operation.BOOKING, LineState.WITHDRAWN): DayState.ENROLLED,
    (Operation.ABSENCE, LineState.PENDING): DayState.ABSENCE_REQUESTED,
    (Operation.ABSENCE, LineState.ACCEPTED): DayState.ABSENT,
    (Operation.ABSENCE, LineState.REFUSED): DayState.BOOKED,
    (Operation.ABSENCE, LineState.WITHDRAWN): DayState.BOOKED,
}


def day_state(operation: str, line_state: str) -> str:
    """The state a line in ``line_state`` gives its day."""
    return DAY_STATES[operation, line_state].value


def lock_open(ids):
    """The lines of ``ids`` still open (``OPEN_STATES``), locked until the caller's transaction
    ends; the caller orders them (the order the locks are taken in)."""
    return BookingLine.objects.select_for_update().filter(pk__in=ids, state__in=OPEN_STATES)


def finish(lines, state, agent, message, now, by_agent, notify=False) -> None:
    """Give ``lines`` their new state, with history; ``notify`` puts the decisions (accepted,
    refused, waiting list) in the outbox of the families' digests."""
    if not lines:
        return
    previous = {line.pk: line.state for line in lines}
    for line in lines:
        line.state = state
        line.decided_at = now
        line.decided_by = agent
        line.message = message
    # The same values for every line: one UPDATE (bulk_update would write a CASE per line).
    BookingLine.objects.filter(pk__in=list(previous)).update(
        state=state, decided_at=now, decided_by=agent, message=message
    )
    BookingLineEvent.objects.bulk_create(
        BookingLineEvent(
            line=line,
            user=agent,
            from_state=previous[line.pk],
            to_state=state,
            message=message,
            by_agent_for_family=by_agent,
            created_at=now,
        )
        for line in lines
    )
    if notify and state in NOTIFIED_STATES:
        notifications.record_decisions(lines, state, message, now)


def record(lines, from_state, *, user, by_agent) -> None:
    """The history entry of lines that got their state without ``finish`` (new lines)."""
    BookingLineEvent.objects.bulk_create(
        BookingLineEvent(
            line=line,
            user=user,
            from_state=from_state,
            to_state=line.state,
            by_agent_for_family=by_agent,
        )
        for line in lines
    )


def set_days(lines, *, queued_at=None) -> None:
    """Give the children's days of ``lines`` (one row per child, activity, date) the state that
    each line's state gives them (``DAY_STATES``); a day put on the waiting list queues from
    ``queued_at``.

    A day back to "enrolled" (a withdrawn booking) has no row: the planning computes it. An
    absence is only asked on a booked day, so an absence that leaves its day booked (refused,
    withdrawn) leaves it to the booking line that booked it.
    """
    states = {line.pk: DAY_STATES[line.operation, line.state] for line in lines}
    enrolled = [pk for pk, state in states.items() if state == DayState.ENROLLED]
    if enrolled:
        ChildDay.objects.filter(line__in=enrolled).delete()
    lines = [line for line in lines if states[line.pk] != DayState.ENROLLED]
    if not lines:
        return
    keys = {(line.child_id, line.activity_id, line.date): line for line in lines}
    existing = {
        (row.child_id, row.activity_id, row.date): row
        for row in ChildDay.objects.filter(
            child_id__in={k[0] for k in keys},
            activity_id__in={k[1] for k in keys},
            date__in={k[2] for k in keys},
        )
    }
    created, updated = [], []
    for key, line in keys.items():
        row = existing.get(key)
        if row is None:
            row = ChildDay(child_id=key[0], activity_id=key[1], date=key[2])
            created.append(row)
        else:
            updated.append(row)
        row.state = state = states[line.pk]
        row.queued_at = queued_at if state == DayState.WAITING_LIST else None
        if not (line.operation == Operation.ABSENCE and state == DayState.BOOKED):
            row.line = line
    ChildDay.objects.bulk_create(created)
    ChildDay.objects.bulk_update(updated, ["state", "queued_at", "line", "updated_at"])


def refresh_requests(request_ids, *, user=None, actor=None, message: str = "") -> None:
    """A request's state follows its lines: pending while any waits, then accepted, refused,
    partially accepted, or withdrawn when the family took every line back.

    The change is written in the request's history as done by ``user`` (an agent, else the
    system, unless ``actor`` says otherwise), with the agent's ``message``; a message that
    changes no state is written on its own, so that the family reads it in "Mes demandes".
    """
    if actor is None:
        actor = RequestEvent.Actor.AGENT if user is not None else RequestEvent.Actor.SYSTEM
    request_ids = list(request_ids)
    states_of = defaultdict(set)
    for request_id, state in BookingLine.objects.filter(request_id__in=request_ids).values_list(
        "request_id", "state"
    ):
        states_of[request_id].add(state)
    for request in Request.objects.filter(pk__in=request_ids):
        states = states_of[request.pk]
        if states & {LineState.PENDING, LineState.WAITING_LIST}:
            new = Request.State.PENDING
        elif states <= {LineState.WITHDRAWN}:
            new = Request.State.WITHDRAWN
        elif LineState.ACCEPTED in states and LineState.REFUSED in states:
            new = Request.State.PARTIALLY_ACCEPTED
        elif LineState.ACCEPTED in states:
            new = Request.State.ACCEPTED
        else:
            new = Request.State.REFUSED
        if new != request.state:
            RequestEvent.objects.create(
                request=request,
                user=user,
                actor=actor,
                action=_request_action(new),
                from_state=request.state,
                to_state=new,
                message=message,
            )
            request.state = new
            request.decided_at = None if new == Request.State.PENDING else timezone.now()
            request.save(update_fields=["state", "decided_at"])
        elif message:
            RequestEvent.objects.create(
                request=request,
                user=user,
                actor=actor,
                action=RequestEvent.Action.MESSAGE,
                from_state=request.state,
                to_state=request.state,
                message=message,
            )


def _request_action(state: str) -> str:
    return {
        Request.State.WITHDRAWN: RequestEvent.Action.WITHDRAWN,
        Request.State.REFUSED: RequestEvent.Action.REFUSED,
        Request.State.PENDING: RequestEvent.Action.SUBMITTED,
    }.get(state, RequestEvent.Action.ACCEPTED)
