"""A family's booking and absence requests: what would be asked (preview), asking, withdrawing.

Pages, API and admin call these functions; none of them changes a booking by itself. A request
is checked day by day against the enrolment, the activity's days, the closures, the deadlines
and the day's current state (``rules.py``); the days that pass become ``BookingLine`` rows of
one ``Request``, and the state of each child's day (``ChildDay``) follows in the same
transaction (``transitions.py``). An automatic activity decides at once (``decisions.py``).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ... import clock
from ...models import Activity, Child, Family, Request, RequestEvent
from ...models.bookings import BookingLine
from .. import notifications
from . import capacity, decisions, rules, transitions
from .rules import BookingError, Skipped

Operation = BookingLine.Operation
LineState = BookingLine.State


@dataclass
class Outcome:
    """A saved request, its lines (one per day asked) and the days skipped with their reason."""

    request: Request
    lines: list[BookingLine]
    skipped: list[Skipped] = field(default_factory=list)


def _load(family: Family, child_id, activity_id) -> tuple[Child, Activity]:
    """The family's child and an activity of its municipality: anything else is not found."""
    child = Child.objects.filter(family=family, pk=child_id).first()
    activity = (
        Activity.objects.select_related("establishment")
        .filter(pk=activity_id, establishment__municipality_id=family.municipality_id)
        .first()
    )
    if child is None or activity is None:
        raise BookingError(_("Unknown child or activity."), code="not_found")
    return child, activity


def preview_days(
    *, family, child_id, activity_id, operation, dates, by_agent=False, now=None
) -> tuple[list[dt.date], list[Skipped]]:
    """The dates that would be requested, and those skipped with their reason; writes nothing."""
    if operation not in Operation.values:
        raise BookingError(_("Unknown kind of request."), code="invalid")
    child, activity = _load(family, child_id, activity_id)
    return rules.judge(
        child, activity, operation, rules.check_dates(dates), now or clock.local_now(), by_agent
    )


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
    dates = rules.check_dates(dates)
    now = now or clock.local_now()
    decide_now = by_agent or activity.booking_mode == Activity.BookingMode.AUTOMATIC
    limited = operation == Operation.BOOKING and activity.capacity is not None
    try:
        with transaction.atomic():
            if limited:
                # Before counting the places: the count below then stays true until commit.
                capacity.lock_days(activity, [day for day in dates if activity.runs_on(day)])
            judgement = rules.judge_days(child, activity, operation, dates, now, by_agent)
            ok, skipped = judgement.ok, judgement.skipped
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
                    request=request,
                    child=child,
                    activity=activity,
                    date=day,
                    operation=operation,
                    # An agent's request past the deadline: billing reads it as late.
                    after_deadline=day in judgement.late,
                )
                for day in ok
            )
            lines = list(BookingLine.objects.filter(request=request).order_by("date"))
            transitions.record(lines, "", user=user, by_agent=by_agent)
            if decide_now:
                decisions.decide(
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
                transitions.set_days(lines)
            transitions.refresh_requests([request.pk], user=user if by_agent else None)
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


# Withdrawing


def withdraw_lines(lines, *, user) -> list[BookingLine]:
    """The family takes back days still waiting (for an agent or on the waiting list)."""
    ids = [line.pk for line in lines]
    with transaction.atomic():
        locked = list(transitions.lock_open(ids).order_by("pk"))
        if len(locked) != len(set(ids)):
            raise BookingError(
                _("Some of these days have already been decided and cannot be withdrawn."),
                code="not_pending",
            )
        transitions.finish(locked, LineState.WITHDRAWN, user, "", timezone.now(), False)
        transitions.set_days(locked)
        transitions.refresh_requests(
            {line.request_id for line in locked}, user=user, actor=RequestEvent.Actor.FAMILY
        )
    return locked
