"""Agents' decisions on booking lines: accept or refuse, one line or many at once, within the
capacity; and what a change of an activity's capacity does to its waiting list.

``decide`` is also how an automatic activity (or an agent booking for a family) decides a
request at once (``requests.py``): the same capacity check, the same waiting list.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ... import clock
from ...models import Activity
from ...models.bookings import BookingLine, ChildDay, DayState
from . import capacity, transitions, waiting_list
from .rules import REASONS, BookingError

Operation = BookingLine.Operation
LineState = BookingLine.State


@dataclass
class Decision:
    """What became of the lines decided: ``failed`` holds each line left as it was, with why."""

    accepted: list[BookingLine] = field(default_factory=list)
    refused: list[BookingLine] = field(default_factory=list)
    waiting: list[BookingLine] = field(default_factory=list)
    failed: list[tuple[BookingLine, str]] = field(default_factory=list)


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
            transitions.lock_open(ids)
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
            result = decide(
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
        transitions.refresh_requests(
            {line.request_id for line in locked}, user=agent, message=(message or "").strip()
        )
    return decision


def decide(lines, *, agent, accept, message, by_agent, activity, notify=True) -> Decision:
    """Decide lines of one activity; the caller holds the transaction.

    With ``notify``, each decision goes to the outbox of the family's next digest.
    """
    decision = Decision()
    now = timezone.now()
    bookings = [line for line in lines if line.operation == Operation.BOOKING]
    absences = [line for line in lines if line.operation == Operation.ABSENCE]
    if not accept:
        transitions.finish(lines, LineState.REFUSED, agent, message, now, by_agent, notify)
        transitions.set_days(lines)
        decision.refused += lines
        return decision
    if bookings:
        capacity.lock_days(activity, [line.date for line in bookings])
        taken = capacity.places_taken(activity, [line.date for line in bookings])
        placed, queued = [], []
        for line in bookings:
            held = taken.get(line.date, 0)
            if capacity.has_room(activity, held):
                taken[line.date] = held + 1
                placed.append(line)
            elif activity.waiting_list:
                queued.append(line)
            else:
                decision.failed.append((line, str(REASONS["full"])))
        transitions.finish(placed, LineState.ACCEPTED, agent, message, now, by_agent, notify)
        transitions.set_days(placed)
        waiting = [line for line in queued if line.state != LineState.WAITING_LIST]
        transitions.finish(waiting, LineState.WAITING_LIST, None, "", now, by_agent, notify)
        transitions.set_days(waiting, queued_at=now)
        decision.accepted += placed
        decision.waiting += queued
        unplaced = [line for line, _reason in decision.failed if line.state == LineState.PENDING]
        # Decided by the system (automatic activity) or by an agent booking for the family:
        # a day found full is refused at once. An agent deciding a request keeps it pending.
        if unplaced and (by_agent or agent is None):
            transitions.finish(
                unplaced, LineState.REFUSED, agent, str(REASONS["full"]), now, by_agent, notify
            )
            transitions.set_days(unplaced)
    if absences:
        capacity.lock_days(activity, [line.date for line in absences])
        transitions.finish(absences, LineState.ACCEPTED, agent, message, now, by_agent, notify)
        transitions.set_days(absences)
        decision.accepted += absences
        waiting_list.promote_locked(activity, [line.date for line in absences])
    return decision


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
    return waiting_list.promote(activity, dates) if dates else []
