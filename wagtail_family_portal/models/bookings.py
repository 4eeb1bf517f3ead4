"""Bookings and absences: the day lines of a request, and the state of each child's day.

A family's booking or absence request (``Request`` of kind ``booking`` or ``absence``) has one
``BookingLine`` per day asked. The state of a planning cell — one child, one activity, one
date — is kept in ``ChildDay``, updated by ``services.bookings`` in the same transaction as the
line that changes it, so that the planning reads one row per cell and capacity is one count.
``ActivityDay`` is the row locked to count and change the places of an activity on a date.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..fields import optional_link
from .events import HistoryEvent, by_field, decision_fields, state_fields
from .municipality import ScopedQuerySet, scoped_manager
from .requests import Request


class DayState(models.TextChoices):
    """The states of a child's day for an activity (DESIGN.md §3); "enrolled" and "closed" are
    computed by the planning, never stored."""

    ENROLLED = "enrolled", _("enrolled, not booked")
    BOOKING_REQUESTED = "booking_requested", _("booking requested")
    BOOKED = "booked", _("booked")
    ABSENCE_REQUESTED = "absence_requested", _("absence requested")
    ABSENT = "absent", _("absence accepted")
    REFUSED = "refused", _("refused")
    WAITING_LIST = "waiting_list", _("waiting list")
    CLOSED = "closed", _("closed")


# The states in which a child holds a place of the activity that day.
HOLDS_PLACE = (DayState.BOOKED, DayState.ABSENCE_REQUESTED)


class BookingLineQuerySet(ScopedQuerySet):
    municipality_path = "request__family__municipality"

    def for_account(self, user):
        return self.filter(request__in=Request.objects.for_account(user))


class BookingLine(models.Model):
    """One day of a booking or absence request, and what became of it."""

    class Operation(models.TextChoices):
        BOOKING = "booking", _("booking")
        ABSENCE = "absence", _("absence")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for validation")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")
        WAITING_LIST = "waiting_list", _("waiting list")
        WITHDRAWN = "withdrawn", _("withdrawn")

    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="booking_lines"
    )
    child = models.ForeignKey(
        "wagtail_family_portal.Child",
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="booking_lines",
    )
    activity = models.ForeignKey(
        "wagtail_family_portal.Activity",
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        related_name="booking_lines",
    )
    date = models.DateField(pgettext_lazy("family portal", "day"))
    operation = models.CharField(_("operation"), max_length=10, choices=Operation.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    decided_at, decided_by = decision_fields()
    message = models.TextField(_("message to the family"), blank=True)
    after_deadline = models.BooleanField(
        _("asked after the deadline"),
        default=False,
        help_text=_("Set when an agent asked it for the family after the deadline had passed."),
    )

    objects = BookingLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking line")
        verbose_name_plural = _("booking lines")
        ordering = ["date", "pk"]
        indexes = [
            models.Index(fields=["child", "date"], name="wfp_line_child_date_idx"),
            models.Index(fields=["activity", "date", "state"], name="wfp_line_activity_day_idx"),
            models.Index(fields=["state", "created_at"], name="wfp_line_state_idx"),
        ]

    def __str__(self):
        return f"{self.get_operation_display()} {self.child} {self.activity} {self.date}"

    @property
    def state_label(self) -> str:
        """The line's state as families and agents read it (``line_state_label``)."""
        return line_state_label(self.operation, self.state)


# What a line's state reads as, for families and agents alike, on every page and in every
# e-mail: the name of the state it gives the day (DESIGN.md §3), so that one booking reads
# "réservation demandée" in the planning, "Mes demandes" and the agents' queue. A refused
# absence reads "refused" (its day stays booked); a withdrawn line "withdrawn" (its day goes
# back to what it was). Keys: (operation, line state).
LINE_STATES = {
    ("booking", "pending"): DayState.BOOKING_REQUESTED,
    ("booking", "accepted"): DayState.BOOKED,
    ("booking", "waiting_list"): DayState.WAITING_LIST,
    ("booking", "refused"): DayState.REFUSED,
    ("absence", "pending"): DayState.ABSENCE_REQUESTED,
    ("absence", "accepted"): DayState.ABSENT,
    ("absence", "refused"): DayState.REFUSED,
}


def line_state_label(operation: str, state: str) -> str:
    """ "réservation demandée", "absence acceptée", "refusée", "retirée"…"""
    shown = LINE_STATES.get((operation, state))
    if shown is not None:
        return str(shown.label)
    if state in BookingLine.State.values:
        return str(BookingLine.State(state).label)
    return state


class BookingLineEvent(HistoryEvent):
    """One change of a line's state: when, by whom, from what to what, with which message."""

    line = models.ForeignKey(
        BookingLine, verbose_name=_("line"), on_delete=models.CASCADE, related_name="events"
    )
    # The shared field, with the help an empty one needs here.
    user = by_field(help_text=_("Empty when the system decided (automatic booking, waiting list)."))
    from_state, to_state = state_fields(BookingLine.State.choices)
    by_agent_for_family = models.BooleanField(_("done by an agent for the family"), default=False)

    class Meta(HistoryEvent.Meta):
        verbose_name = _("booking line history entry")
        verbose_name_plural = _("booking line history")

    def __str__(self):
        return f"{self.line} → {self.to_state}"


class ChildDay(models.Model):
    """The current state of one child's day for one activity, when something was asked.

    Days without a row are "enrolled" (or "closed"): the planning computes those. ``line`` is
    the line that set the state; ``queued_at`` orders the waiting list; ``presence`` is what the
    staff marked on the attendance sheet.
    """

    class Presence(models.TextChoices):
        UNKNOWN = "", _("not marked")
        PRESENT = "present", _("present")
        ABSENT = "absent", _("absent")

    child = models.ForeignKey(
        "wagtail_family_portal.Child",
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="days",
    )
    activity = models.ForeignKey(
        "wagtail_family_portal.Activity",
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        related_name="child_days",
    )
    date = models.DateField(pgettext_lazy("family portal", "day"))
    state = models.CharField(_("state"), max_length=20, choices=DayState.choices)
    line = optional_link(
        BookingLine,
        _("line"),
    )
    queued_at = models.DateTimeField(_("on the waiting list since"), null=True, blank=True)
    presence = models.CharField(
        _("presence"), max_length=10, choices=Presence.choices, default="", blank=True
    )
    absence_justified = models.BooleanField(
        _("absence justified"),
        default=False,
        help_text=_("A justified absence (e.g. a medical certificate) is never billed."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = scoped_manager("child__family__municipality")

    class Meta:
        verbose_name = _("child's day")
        verbose_name_plural = _("children's days")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "activity", "date"], name="wfp_unique_child_day"
            )
        ]
        indexes = [
            models.Index(fields=["activity", "date", "state"], name="wfp_childday_place_idx"),
            models.Index(fields=["child", "date"], name="wfp_childday_child_idx"),
        ]

    def __str__(self):
        return f"{self.child} {self.activity} {self.date}: {self.get_state_display()}"


class ActivityDay(models.Model):
    """An activity on a date: the row locked while its places are counted and changed."""

    activity = models.ForeignKey(
        "wagtail_family_portal.Activity",
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="days",
    )
    date = models.DateField(pgettext_lazy("family portal", "day"))

    class Meta:
        verbose_name = _("activity day")
        verbose_name_plural = _("activity days")
        constraints = [
            models.UniqueConstraint(fields=["activity", "date"], name="wfp_unique_activity_day")
        ]

    def __str__(self):
        return f"{self.activity} {self.date}"


class UnbookedPresence(models.Model):
    """A child the staff found at an activity on a day it was not booked for: billed with the
    grid's surcharge, and kept apart from ``ChildDay`` so that places and the planning are
    unchanged."""

    child = models.ForeignKey(
        "wagtail_family_portal.Child",
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="unbooked_presences",
    )
    activity = models.ForeignKey(
        "wagtail_family_portal.Activity",
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        related_name="unbooked_presences",
    )
    date = models.DateField(pgettext_lazy("family portal", "day"))
    marked_by = optional_link(settings.AUTH_USER_MODEL, _("marked by"))
    marked_at = models.DateTimeField(_("marked at"), default=timezone.now)

    objects = scoped_manager("child__family__municipality")

    class Meta:
        verbose_name = _("presence without a booking")
        verbose_name_plural = _("presences without a booking")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "activity", "date"], name="wfp_unique_unbooked_presence"
            )
        ]
        indexes = [models.Index(fields=["activity", "date"], name="wfp_unbooked_day_idx")]

    def __str__(self):
        return f"{self.child} {self.activity} {self.date}"
