"""Bookings and absences: every rule of "can this day be booked or cancelled", and every change.

Pages, API and admin call these functions; none of them changes a booking by itself. A request
is checked day by day against the enrolment, the activity's days, the closures, the deadlines
and the day's current state; the days that pass become ``BookingLine`` rows of one ``Request``,
and the state of each child's day (``ChildDay``) follows in the same transaction.

Capacity is never exceeded, whatever the concurrency: before counting the places of an activity
on a date, the transaction locks that ``ActivityDay`` row (``select_for_update``, which
PostgreSQL honours; SQLite serialises writers anyway), always in date order so that two
transactions cannot wait on each other. Freeing a place needs no lock beyond the same row, and
promotes the waiting list at once.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import clock
from ..models import Activity, Child, Closure, Enrolment, Family, Request, RequestEvent
from ..models.bookings import (
    HOLDS_PLACE,
    ActivityDay,
    BookingLine,
    BookingLineEvent,
    ChildDay,
    DayState,
)
from . import notifications

Operation = BookingLine.Operation
LineState = BookingLine.State
# The line states a family hears about in its digest.
NOTIFIED_STATES = (LineState.ACCEPTED, LineState.REFUSED, LineState.WAITING_LIST)
# A request covers at most a school year (and a little more for a year that starts late).
MAX_PERIOD_DAYS = 366

REASONS = {
    "not_enrolled": _("The child is not enrolled in this activity that day."),
    "not_running": _("The activity does not take place that day."),
    "closed": _("Closed that day."),
    "deadline_passed": _("The deadline for that day has passed."),
    "already_booked": _("Already booked (or asked) that day."),
    "not_booked": _("An absence can only be declared on a booked day."),
    "already_requested": _("A request for that day is already waiting."),
    "full": _("No place left that day."),
}


class BookingError(Exception):
    """A request that cannot be made as asked; ``message`` is shown, ``code`` says why."""

    def __init__(self, message, code: str, *, skipped=None, dates=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.skipped = skipped or []
        self.dates = dates or []


@dataclass(frozen=True)
class Skipped:
    date: dt.date
    reason: str

    @property
    def message(self) -> str:
        return str(REASONS[self.reason])


@dataclass
class Outcome:
    request: Request
    lines: list[BookingLine]
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class Decision:
    accepted: list[BookingLine] = field(default_factory=list)
    refused: list[BookingLine] = field(default_factory=list)
    waiting: list[BookingLine] = field(default_factory=list)
    failed: list[tuple[BookingLine, str]] = field(default_factory=list)


# The rule of a day, shared by the requests below and by what the planning offers.

# States in which something asked for the day still waits: it can only be withdrawn.
WAITING_STATES = frozenset(
    {DayState.BOOKING_REQUESTED, DayState.ABSENCE_REQUESTED, DayState.WAITING_LIST}
)
# States from which a booking can be asked (again).
BOOKABLE_STATES = frozenset({DayState.ENROLLED, DayState.ABSENT, DayState.REFUSED})


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


def working_day_checker(days_off) -> Callable[[dt.date], bool]:
    """``is_working_day`` for ``Deadline.last_moment``: Monday to Friday, except ``days_off`` (the
    days a closure of the whole municipality covers, public holidays and school holidays
    included)."""
    days_off = frozenset(days_off)
    return lambda day: day.weekday() < 5 and day not in days_off


def refusal(
    state: str,
    operation: str,
    *,
    last_moment: dt.datetime,
    now: dt.datetime,
    full: bool = False,
    waiting_list: bool = False,
    bypass_deadline: bool = False,
) -> str | None:
    """Why ``operation`` cannot be asked on an open day in ``state`` (a reason code), or None.

    A full day is said full before its deadline is looked at; a day with a waiting list is never
    full for a request (the request queues).
    """
    if state in WAITING_STATES:
        return "already_requested"
    if operation == Operation.BOOKING:
        if state == DayState.BOOKED:
            return "already_booked"
        if full and not waiting_list:
            return "full"
    elif state != DayState.BOOKED:
        return "not_booked"
    if not bypass_deadline and now > last_moment:
        return "deadline_passed"
    return None


def dates_in_period(start: dt.date, end: dt.date, weekdays) -> list[dt.date]:
    """Every date from ``start`` to ``end`` falling on ``weekdays`` (0 = Monday)."""
    if start is None or end is None:
        raise BookingError(_("Give the first and the last day."), code="invalid")
    if end < start:
        raise BookingError(_("The last day cannot be before the first day."), code="invalid")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise BookingError(_("A request covers at most one school year."), code="invalid")
    days = set(weekdays or [])
    if not days or not days <= set(range(7)):
        raise BookingError(_("Choose at least one weekday (0 = Monday to 6)."), code="invalid")
    count = (end - start).days + 1
    return [
        start + dt.timedelta(days=n)
        for n in range(count)
        if (start + dt.timedelta(days=n)).weekday() in days
    ]


# What a child may ask, day by day


@dataclass
class _Calendar:
    """Everything needed to judge the days of one child and one activity, loaded at once."""

    activity: Activity
    enrolments: list[tuple[dt.date, dt.date]]
    closed: set[dt.date]
    holidays: set[dt.date]
    days: dict[dt.date, ChildDay]
    taken: dict[dt.date, int]

    def __post_init__(self):
        self.is_working_day = working_day_checker(self.holidays)

    def reason(self, day: dt.date, operation: str, now: dt.datetime, bypass_deadline: bool):
        activity = self.activity
        if not any(start <= day <= end for start, end in self.enrolments):
            return "not_enrolled"
        if not activity.runs_on(day):
            return "not_running"
        if day in self.closed:
            return "closed"
        current = self.days.get(day)
        if operation == Operation.BOOKING:
            deadline = activity.booking_deadline
        else:
            deadline = activity.absence_deadline
        return refusal(
            current.state if current else DayState.ENROLLED,
            operation,
            last_moment=deadline.last_moment(day, self.is_working_day),
            now=now,
            full=activity.capacity is not None and self.taken.get(day, 0) >= activity.capacity,
            waiting_list=activity.waiting_list,
            bypass_deadline=bypass_deadline,
        )


def _calendar(child: Child, activity: Activity, first: dt.date, last: dt.date) -> _Calendar:
    enrolments = list(
        Enrolment.objects.filter(child=child, activity=activity)
        .covering(first, last)
        .values_list("start_date", "end_date")
    )
    # Working days are counted back from each date: load the closures before the range too.
    closures = (
        Closure.objects.filter(municipality_id=activity.establishment.municipality_id)
        .overlapping(first - dt.timedelta(days=90), last)
        .prefetch_related("activities")
    )
    closed, holidays = set(), set()
    for closure in closures:
        concerned = [a.pk for a in closure.activities.all()]
        span = (closure.end_date - closure.start_date).days + 1
        dates = {closure.start_date + dt.timedelta(days=n) for n in range(span)}
        if not concerned:
            holidays |= dates
        if not concerned or activity.pk in concerned:
            closed |= dates
    days = {
        row.date: row
        for row in ChildDay.objects.filter(
            child=child, activity=activity, date__range=(first, last)
        )
    }
    taken = (
        _places_taken(
            activity, [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        )
        if activity.capacity is not None
        else {}
    )
    return _Calendar(activity, enrolments, closed, holidays, days, taken)


def _load(family: Family, child_id, activity_id) -> tuple[Child, Activity]:
    child = Child.objects.filter(family=family, pk=child_id).first()
    activity = (
        Activity.objects.select_related("establishment")
        .filter(pk=activity_id, establishment__municipality_id=family.municipality_id)
        .first()
    )
    if child is None or activity is None:
        raise BookingError(_("Unknown child or activity."), code="not_found")
    return child, activity


def _check_dates(dates) -> list[dt.date]:
    dates = sorted(set(dates or []))
    if not dates:
        raise BookingError(_("Choose at least one day."), code="invalid")
    if (dates[-1] - dates[0]).days >= MAX_PERIOD_DAYS:
        raise BookingError(_("A request covers at most one school year."), code="invalid")
    return dates


def preview_days(
    *, family, child_id, activity_id, operation, dates, by_agent=False, now=None
) -> tuple[list[dt.date], list[Skipped]]:
    """The dates that would be requested, and those skipped with their reason; writes nothing."""
    if operation not in Operation.values:
        raise BookingError(_("Unknown kind of request."), code="invalid")
    child, activity = _load(family, child_id, activity_id)
    return _judge(
        child, activity, operation, _check_dates(dates), now or clock.local_now(), by_agent
    )


def _judge(child, activity, operation, dates, now, by_agent):
    """``(ok, skipped)``: each of ``dates`` judged by the rules of a day."""
    calendar = _calendar(child, activity, dates[0], dates[-1])
    ok, skipped = [], []
    for day in dates:
        reason = calendar.reason(day, operation, now, bypass_deadline=by_agent)
        if reason:
            skipped.append(Skipped(day, reason))
        else:
            ok.append(day)
    return ok, skipped


# Submitting


def request_days(
    *,
    family: Family,
    child_id,
    activity_id,
    operation: str,
    dates,
    user,
    by_agent: bool = False,
    confirm_skipped: bool = False,
    now=None,
    send_receipt: bool = True,
) -> Outcome:
    """Ask for bookings or absences on ``dates``; one request, one line per day that passes.

    Days that cannot be asked are returned as ``skipped``; if there are any, the family must
    have seen and confirmed them (``confirm_skipped``), otherwise nothing is saved; if no day
    can be asked, nothing is saved either (``nothing_to_request``). Automatic activities (and
    agents acting for a family, who may bypass deadlines) are decided at once; the others wait
    for an agent. ``send_receipt=False`` queues no receipt: for data loaded without anyone
    asking (the demo).

    The days are judged inside the transaction, after the activity's days are locked for a
    booking with a capacity: a day that fills up while this request is being processed is
    judged full (skipped, reason ``full``) exactly as a day that was full before it, never a
    refused line (decisions.md §27).
    """
    if operation not in Operation.values:
        raise BookingError(_("Unknown kind of request."), code="invalid")
    child, activity = _load(family, child_id, activity_id)
    dates = _check_dates(dates)
    now = now or clock.local_now()
    decide_now = by_agent or activity.booking_mode == Activity.BookingMode.AUTOMATIC
    limited = operation == Operation.BOOKING and activity.capacity is not None
    try:
        with transaction.atomic():
            if limited:
                # Before counting the places: the count below then stays true until commit.
                _lock_days(activity, [day for day in dates if activity.runs_on(day)])
            ok, skipped = _judge(child, activity, operation, dates, now, by_agent)
            if not ok:
                raise BookingError(
                    _("None of these days can be requested."),
                    code="nothing_to_request",
                    skipped=skipped,
                )
            if skipped and not confirm_skipped:
                raise BookingError(
                    ngettext(
                        "%(count)d day cannot be requested: check the list and confirm.",
                        "%(count)d days cannot be requested: check the list and confirm.",
                        len(skipped),
                    )
                    % {"count": len(skipped)},
                    code="confirm_skipped",
                    skipped=skipped,
                    dates=ok,
                )
            request = Request.objects.create(
                family=family,
                kind=operation,
                topic=operation,
                created_by=user,
                summary=_summary(operation, activity, child, len(ok)),
            )
            RequestEvent.objects.create(
                request=request,
                user=user,
                actor=RequestEvent.Actor.AGENT if by_agent else RequestEvent.Actor.FAMILY,
                action=RequestEvent.Action.SUBMITTED,
                to_state=Request.State.PENDING,
            )
            lines = BookingLine.objects.bulk_create(
                BookingLine(
                    request=request, child=child, activity=activity, date=day, operation=operation
                )
                for day in ok
            )
            lines = list(BookingLine.objects.filter(request=request).order_by("date"))
            _record(lines, "", user=user, by_agent=by_agent)
            if decide_now:
                _decide(
                    lines,
                    agent=user if by_agent else None,
                    accept=True,
                    message="",
                    by_agent=by_agent,
                    activity=activity,
                    # What the family asked and got at once is in its receipt; what an agent
                    # did for it comes in the digest.
                    notify=by_agent,
                )
            else:
                _set_days(lines, _pending_state(operation))
            _refresh_requests([request.pk], user=user if by_agent else None)
            if send_receipt and not by_agent:
                notifications.request_received(request)
    except IntegrityError as error:
        # Another request for one of these days was saved at the same instant (the unique
        # child day); any other integrity error is a bug, not a conflict.
        if "childday" not in str(error).lower() and "wfp_unique_child_day" not in str(error):
            raise
        raise BookingError(
            _("Another request for one of these days was just saved. Look at the planning again."),
            code="conflict",
        ) from None
    request.refresh_from_db()
    return Outcome(request, lines, skipped)


def _pending_state(operation: str) -> str:
    if operation == Operation.BOOKING:
        return DayState.BOOKING_REQUESTED
    return DayState.ABSENCE_REQUESTED


def _summary(operation, activity, child, count) -> str:
    if operation == Operation.BOOKING:
        text = ngettext(
            "Booking of %(activity)s for %(child)s: %(count)d day",
            "Booking of %(activity)s for %(child)s: %(count)d days",
            count,
        )
    else:
        text = ngettext(
            "Absence from %(activity)s for %(child)s: %(count)d day",
            "Absence from %(activity)s for %(child)s: %(count)d days",
            count,
        )
    return str(text % {"activity": activity.name, "child": child.first_name, "count": count})[:255]


# Deciding


def decide_lines(lines, *, agent, accept: bool, message: str = "") -> Decision:
    """An agent accepts or refuses pending lines (and waiting ones), within the capacity.

    Each line is decided on its own: a booking that finds the day full goes to the waiting list
    (if the activity has one) or stays pending with its reason in ``failed``.
    """
    if not accept and not (message or "").strip():
        raise BookingError(_("Write a message to the family saying why."), code="invalid")
    ids = [line.pk for line in lines]
    with transaction.atomic():
        locked = list(
            BookingLine.objects.select_for_update()
            .filter(pk__in=ids, state__in=[LineState.PENDING, LineState.WAITING_LIST])
            .select_related("activity")
            .order_by("activity_id", "date", "pk")
        )
        decision = Decision()
        for line in BookingLine.objects.filter(pk__in=ids).exclude(
            pk__in=[line.pk for line in locked]
        ):
            decision.failed.append((line, str(_("This day has already been decided."))))
        by_activity = defaultdict(list)
        for line in locked:
            by_activity[line.activity_id].append(line)
        for activity_lines in by_activity.values():
            result = _decide(
                activity_lines,
                agent=agent,
                accept=accept,
                message=(message or "").strip(),
                by_agent=False,
                activity=activity_lines[0].activity,
            )
            decision.accepted += result.accepted
            decision.refused += result.refused
            decision.waiting += result.waiting
            decision.failed += result.failed
        _refresh_requests(
            {line.request_id for line in locked}, user=agent, message=(message or "").strip()
        )
    return decision


def _lock_days(activity: Activity, dates) -> None:
    """Lock the activity's days (created if missing), in date order."""
    dates = sorted(set(dates))
    ActivityDay.objects.bulk_create(
        [ActivityDay(activity=activity, date=day) for day in dates], ignore_conflicts=True
    )
    list(
        ActivityDay.objects.select_for_update()
        .filter(activity=activity, date__in=dates)
        .order_by("date")
        .values_list("pk", flat=True)
    )


def _places_taken(activity: Activity, dates) -> dict[dt.date, int]:
    rows = (
        ChildDay.objects.filter(activity=activity, date__in=dates, state__in=HOLDS_PLACE)
        .values("date")
        .annotate(taken=Count("pk"))
    )
    return {row["date"]: row["taken"] for row in rows}


def _decide(lines, *, agent, accept, message, by_agent, activity, notify=True) -> Decision:
    """Decide lines of one activity; the caller holds the transaction.

    With ``notify``, each decision goes to the outbox of the family's next digest.
    """
    decision = Decision()
    now = timezone.now()
    bookings = [line for line in lines if line.operation == Operation.BOOKING]
    absences = [line for line in lines if line.operation == Operation.ABSENCE]
    if not accept:
        _finish(lines, LineState.REFUSED, agent, message, now, by_agent, notify)
        _set_days([line for line in bookings], DayState.REFUSED)
        _set_days([line for line in absences], DayState.BOOKED, keep_line=True)
        decision.refused += lines
        return decision
    if bookings:
        _lock_days(activity, [line.date for line in bookings])
        taken = _places_taken(activity, [line.date for line in bookings])
        placed, queued = [], []
        for line in bookings:
            held = taken.get(line.date, 0)
            if activity.capacity is None or held < activity.capacity:
                taken[line.date] = held + 1
                placed.append(line)
            elif activity.waiting_list:
                queued.append(line)
            else:
                decision.failed.append((line, str(REASONS["full"])))
        _finish(placed, LineState.ACCEPTED, agent, message, now, by_agent, notify)
        _set_days(placed, DayState.BOOKED)
        waiting = [line for line in queued if line.state != LineState.WAITING_LIST]
        _finish(waiting, LineState.WAITING_LIST, None, "", now, by_agent, notify)
        _set_days(waiting, DayState.WAITING_LIST, queued_at=now)
        decision.accepted += placed
        decision.waiting += queued
        unplaced = [line for line, _reason in decision.failed if line.state == LineState.PENDING]
        # Decided by the system (automatic activity) or by an agent booking for the family:
        # a day found full is refused at once. An agent deciding a request keeps it pending.
        if unplaced and (by_agent or agent is None):
            _finish(unplaced, LineState.REFUSED, agent, str(REASONS["full"]), now, by_agent, notify)
            _set_days(unplaced, DayState.REFUSED)
    if absences:
        _lock_days(activity, [line.date for line in absences])
        _finish(absences, LineState.ACCEPTED, agent, message, now, by_agent, notify)
        _set_days(absences, DayState.ABSENT)
        decision.accepted += absences
        _promote(activity, [line.date for line in absences])
    return decision


def _finish(lines, state, agent, message, now, by_agent, notify=False) -> None:
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


def _record(lines, from_state, *, user, by_agent) -> None:
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


def _set_days(lines, state, *, queued_at=None, keep_line=False) -> None:
    """Set the state of the children's days of ``lines`` (one row per child, activity, date)."""
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
        row.state = state
        row.queued_at = queued_at if state == DayState.WAITING_LIST else None
        if not keep_line:
            row.line = line
    ChildDay.objects.bulk_create(created)
    ChildDay.objects.bulk_update(updated, ["state", "queued_at", "line", "updated_at"])


def _clear_days(lines) -> None:
    """The days of withdrawn bookings go back to "enrolled" (no row)."""
    if lines:
        ChildDay.objects.filter(line__in=[line.pk for line in lines]).delete()


def _refresh_requests(request_ids, *, user=None, actor=None, message: str = "") -> None:
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


# Withdrawing and freeing places


def withdraw_lines(lines, *, user) -> list[BookingLine]:
    """The family takes back days still waiting (for an agent or on the waiting list)."""
    ids = [line.pk for line in lines]
    with transaction.atomic():
        locked = list(
            BookingLine.objects.select_for_update()
            .filter(pk__in=ids, state__in=[LineState.PENDING, LineState.WAITING_LIST])
            .order_by("pk")
        )
        if len(locked) != len(set(ids)):
            raise BookingError(
                _("Some of these days have already been decided and cannot be withdrawn."),
                code="not_pending",
            )
        _finish(locked, LineState.WITHDRAWN, user, "", timezone.now(), False)
        bookings = [line for line in locked if line.operation == Operation.BOOKING]
        absences = [line for line in locked if line.operation == Operation.ABSENCE]
        _clear_days(bookings)
        _set_days(absences, DayState.BOOKED, keep_line=True)
        _refresh_requests(
            {line.request_id for line in locked}, user=user, actor=RequestEvent.Actor.FAMILY
        )
    return locked


def promote(activity: Activity, dates) -> list[BookingLine]:
    """Give freed places to the first in line (after an absence, a withdrawal, more capacity)."""
    with transaction.atomic():
        _lock_days(activity, dates)
        return _promote(activity, dates)


def _promote(activity: Activity, dates) -> list[BookingLine]:
    if activity.capacity is None and not activity.waiting_list:
        return []
    taken = _places_taken(activity, dates)
    queue = (
        ChildDay.objects.filter(activity=activity, date__in=dates, state=DayState.WAITING_LIST)
        .select_related("line")
        .order_by("date", "queued_at", "pk")
    )
    promoted = []
    for row in queue:
        free = activity.capacity is None or taken.get(row.date, 0) < activity.capacity
        if not free or row.line is None:
            continue
        taken[row.date] = taken.get(row.date, 0) + 1
        promoted.append(row.line)
    if not promoted:
        return []
    now = timezone.now()
    if activity.booking_mode == Activity.BookingMode.AUTOMATIC:
        _finish(promoted, LineState.ACCEPTED, None, "", now, False, notify=True)
        _set_days(promoted, DayState.BOOKED)
    else:
        # Proposed to the agents: the line waits for a decision again, its place kept.
        _finish(promoted, LineState.PENDING, None, "", now, False)
        _set_days(promoted, DayState.BOOKING_REQUESTED)
    _refresh_requests({line.request_id for line in promoted})
    return promoted


def capacity_changed(activity: Activity, *, today: dt.date | None = None) -> list[BookingLine]:
    """After an agent raised the capacity (or changed the activity): give the new places of every
    day to come to the first in line."""
    today = today or clock.today()
    dates = sorted(
        set(
            ChildDay.objects.filter(
                activity=activity, state=DayState.WAITING_LIST, date__gte=today
            ).values_list("date", flat=True)
        )
    )
    return promote(activity, dates) if dates else []
