"""Attendance: the staff mark which booked children came on a day (needed later for billing).

Presence is kept on the child's day (``ChildDay.presence``) and can be marked only for the
children who hold a place that day (booked, or an absence still waiting for a decision), on the
day itself or after it. Each marking is logged on the activity (who marked what, for which day),
since the row keeps only the latest value.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

from .. import clock
from ..models import Activity
from ..models.bookings import HOLDS_PLACE, ChildDay

Presence = ChildDay.Presence
PRESENCE_MARKED = "wagtail_family_portal.presence_marked"


class AttendanceError(Exception):
    """Presence that cannot be marked as asked; ``message`` is shown, ``code`` says why."""

    def __init__(self, message, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Marked:
    """The days whose presence changed, and the children asked for who hold no place that day
    (their booking was cancelled meanwhile, or they were never booked): left unmarked."""

    changed: list[ChildDay] = field(default_factory=list)
    not_booked: list[int] = field(default_factory=list)


def mark_presence(
    activity: Activity, date: dt.date, presences: dict, *, agent, today: dt.date | None = None
) -> Marked:
    """Set the presence of each child (``{child_id: "present" | "absent" | ""}``) on ``date``.

    Values equal to the current ones are left alone; one log entry on the activity records the
    changes.
    """
    if date > (today or clock.today()):
        raise AttendanceError(
            _("Presence can only be marked on the day itself or after it."), code="future"
        )
    try:
        wanted = {int(child_id): value for child_id, value in presences.items()}
    except (TypeError, ValueError):
        raise AttendanceError(_("Unknown child."), code="invalid") from None
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
            row.updated_at = now  # bulk_update does not apply auto_now
        ChildDay.objects.bulk_update(changed, ["presence", "updated_at"])
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
    found = {row.child_id for row in rows}
    return Marked(changed=changed, not_booked=sorted(set(wanted) - found))
