"""Attendance: the staff mark which children came on a day (billing reads it).

Presence is kept on the child's day (``ChildDay.presence``) and can be marked only for the
children who hold a place that day (booked, or an absence still waiting for a decision), on the
day itself or after it. A child enrolled that day who came without holding a place is marked
apart (``UnbookedPresence``: billed with the grid's surcharge, places and planning unchanged).
An absence can be justified (``ChildDay.absence_justified``, e.g. a medical certificate: never
billed) when the child was marked absent or its accepted absence was asked after the deadline
(``BookingLine.after_deadline``). Each change is logged on the activity (who marked what, for
which day), since the rows keep only the latest value.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

from .. import clock
from ..models import Activity, Child, Enrolment
from ..models.bookings import HOLDS_PLACE, ChildDay, DayState, UnbookedPresence
from .bookings.rules import REASONS

Presence = ChildDay.Presence
PRESENCE_MARKED = "wagtail_family_portal.presence_marked"
ABSENCE_JUSTIFIED = "wagtail_family_portal.absence_justified"
UNBOOKED_MARKED = "wagtail_family_portal.unbooked_presence_marked"
UNBOOKED_REMOVED = "wagtail_family_portal.unbooked_presence_removed"
FUTURE = _("Presence can only be marked on the day itself or after it.")
# The days whose absence may be justified: marked absent while holding a place, or an absence
# accepted after the deadline (an agent asked it late for the family).
JUSTIFIABLE = Q(state__in=HOLDS_PLACE, presence=Presence.ABSENT) | Q(
    state=DayState.ABSENT, line__after_deadline=True
)


class AttendanceError(Exception):
    """Presence that cannot be marked as asked; ``message`` is shown, ``code`` says why."""

    def __init__(self, message, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Marked:
    """The days whose presence changed, and the children asked for who hold no place that day
    (their booking was cancelled meanwhile, or they were never booked): left unmarked; the days
    whose justification changed, and the children asked for whose absence cannot be justified
    (not marked absent, no late absence): left alone."""

    changed: list[ChildDay] = field(default_factory=list)
    not_booked: list[int] = field(default_factory=list)
    justified: list[ChildDay] = field(default_factory=list)
    not_absent: list[int] = field(default_factory=list)


def _check_day(date: dt.date, today: dt.date | None) -> None:
    if date > (today or clock.today()):
        raise AttendanceError(FUTURE, code="future")


def _child_id(value) -> int:
    return next(iter(_child_ids({value: None})))


def _child_ids(values: dict) -> dict[int, object]:
    try:
        return {int(child_id): value for child_id, value in values.items()}
    except (TypeError, ValueError):
        raise AttendanceError(_("Unknown child."), code="invalid") from None


def mark_presence(
    activity: Activity,
    date: dt.date,
    presences: dict,
    *,
    agent,
    today: dt.date | None = None,
    justified: dict | None = None,
) -> Marked:
    """Set the presence of each child (``{child_id: "present" | "absent" | ""}``) on ``date``,
    and, when ``justified`` (``{child_id: bool}``) is given, whether their absence is justified
    (:func:`justify_absences`, in the same transaction).

    Values equal to the current ones are left alone; one log entry on the activity records the
    changes. A child no longer marked absent loses its justification.
    """
    _check_day(date, today)
    wanted = _child_ids(presences)
    if any(value not in Presence.values for value in wanted.values()):
        raise AttendanceError(_("Unknown presence value."), code="invalid")
    with transaction.atomic():
        rows = list(
            ChildDay.objects.select_for_update()
            .filter(activity=activity, date=date, child_id__in=wanted, state__in=HOLDS_PLACE)
            .order_by("pk")
        )
        changed = [row for row in rows if row.presence != wanted[row.child_id]]
        now = timezone.now()
        for row in changed:
            row.presence = wanted[row.child_id]
            if row.presence != Presence.ABSENT:
                row.absence_justified = False
            row.updated_at = now  # bulk_update does not apply auto_now
        ChildDay.objects.bulk_update(changed, ["presence", "absence_justified", "updated_at"])
        if changed:
            log(
                activity,
                PRESENCE_MARKED,
                user=agent,
                data={
                    "date": date.isoformat(),
                    "presences": {str(row.child_id): row.presence for row in changed},
                },
            )
        marked = Marked(
            changed=changed, not_booked=sorted(set(wanted) - {r.child_id for r in rows})
        )
        if justified is not None:
            outcome = justify_absences(activity, date, justified, agent=agent)
            marked.justified, marked.not_absent = outcome.justified, outcome.not_absent
    return marked


def justify_absences(activity: Activity, date: dt.date, justified: dict, *, agent) -> Marked:
    """Say whose absence on ``date`` is justified (``{child_id: bool}``), e.g. on a medical
    certificate: a justified absence is never billed.

    Only a child marked absent, or whose accepted absence was asked after the deadline, has an
    absence to justify; the others asked for are returned in ``not_absent`` (when asked
    ``True``) and left alone. Any day, past or to come (a late absence can be justified before
    the day). One log entry on the activity records the changes.
    """
    wanted = {child_id: bool(value) for child_id, value in _child_ids(justified).items()}
    with transaction.atomic():
        rows = list(
            # ``of``: JUSTIFIABLE joins the line (an outer join PostgreSQL cannot lock).
            ChildDay.objects.select_for_update(of=("self",))
            .filter(activity=activity, date=date, child_id__in=wanted)
            .filter(JUSTIFIABLE)
            .order_by("pk")
        )
        changed = [row for row in rows if row.absence_justified != wanted[row.child_id]]
        now = timezone.now()
        for row in changed:
            row.absence_justified = wanted[row.child_id]
            row.updated_at = now
        ChildDay.objects.bulk_update(changed, ["absence_justified", "updated_at"])
        if changed:
            log(
                activity,
                ABSENCE_JUSTIFIED,
                user=agent,
                data={
                    "date": date.isoformat(),
                    "justified": {str(row.child_id): row.absence_justified for row in changed},
                },
            )
    found = {row.child_id for row in rows}
    not_absent = sorted(child for child, value in wanted.items() if value and child not in found)
    return Marked(justified=changed, not_absent=not_absent)


# Presence without a booking


def unbooked_candidates(activity: Activity, date: dt.date):
    """The children who may be marked present without a booking on ``date``: enrolled in
    ``activity`` that day, holding no place, not marked so already."""
    enrolled = Enrolment.objects.filter(activity=activity).covering(date, date)
    placed = ChildDay.objects.filter(activity=activity, date=date, state__in=HOLDS_PLACE)
    marked = UnbookedPresence.objects.filter(activity=activity, date=date)
    return (
        Child.objects.filter(pk__in=enrolled.values("child_id"))
        .exclude(pk__in=placed.values("child_id"))
        .exclude(pk__in=marked.values("child_id"))
    )


def mark_unbooked(
    activity: Activity, date: dt.date, child_id, *, agent, today: dt.date | None = None
) -> UnbookedPresence:
    """Mark a child present on ``date`` though it holds no place that day (it came without a
    booking); billed with the grid's surcharge. Marking it twice changes nothing.

    The child must be enrolled in the activity that day, and the activity run that day; a
    child holding a place has its presence marked in the list (:func:`mark_presence`).
    """
    _check_day(date, today)
    child_id = _child_id(child_id)
    child = Child.objects.filter(
        pk=child_id, family__municipality_id=activity.establishment.municipality_id
    ).first()
    if child is None:
        raise AttendanceError(_("Unknown child."), code="invalid")
    if not activity.runs_on(date):
        raise AttendanceError(REASONS["not_running"], code="not_running")
    if not Enrolment.objects.filter(child=child, activity=activity).covering(date, date).exists():
        raise AttendanceError(REASONS["not_enrolled"], code="not_enrolled")
    with transaction.atomic():
        held = ChildDay.objects.filter(
            child=child, activity=activity, date=date, state__in=HOLDS_PLACE
        )
        if held.exists():
            raise AttendanceError(
                _("%(child)s has a place that day: mark the presence in the list.")
                % {"child": child},
                code="holds_place",
            )
        presence, created = UnbookedPresence.objects.get_or_create(
            child=child, activity=activity, date=date, defaults={"marked_by": agent}
        )
        if created:
            _log_unbooked(activity, date, child, UNBOOKED_MARKED, agent)
    return presence


def remove_unbooked(activity: Activity, date: dt.date, child_id, *, agent) -> bool:
    """Take back a presence without a booking (marked by mistake); False when there was none."""
    child_id = _child_id(child_id)
    with transaction.atomic():
        presence = (
            UnbookedPresence.objects.select_for_update()
            .select_related("child")
            .filter(activity=activity, date=date, child_id=child_id)
            .first()
        )
        if presence is None:
            return False
        presence.delete()
        _log_unbooked(activity, date, presence.child, UNBOOKED_REMOVED, agent)
    return True


def _log_unbooked(activity, date, child, action, agent) -> None:
    log(
        activity,
        action,
        user=agent,
        data={"date": date.isoformat(), "child": str(child), "child_id": child.pk},
    )
