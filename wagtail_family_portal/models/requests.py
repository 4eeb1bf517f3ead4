"""Requests ("Mes demandes"): what a family submits and an agent (or the rules) decides.

One model for every kind of request, so that the family's list of requests, the history of
each one, the agents' queue and the notifications read one table whatever was asked. What a
request asks for lives in its lines: ``FileChange`` rows for a change to the family file; the
planning adds its own lines (one per day) for bookings and absences.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..fields import optional_link
from .events import HistoryEvent, decision_fields, state_fields
from .families import Family
from .municipality import ScopedQuerySet


class RequestQuerySet(ScopedQuerySet):
    municipality_path = "family__municipality"

    def for_account(self, user):
        """Requests of the families the account is subscribed to (nothing for anonymous users)."""
        return self.filter(family__in=Family.objects.for_account(user))

    def pending(self):
        return self.filter(state=Request.State.PENDING)


class Request(models.Model):
    class Kind(models.TextChoices):
        FILE_CHANGE = "file_change", _("change to the family file")
        BOOKING = "booking", _("booking")
        ABSENCE = "absence", _("absence")

    class Topic(models.TextChoices):
        """What the request is about, as families name it in "Mes demandes"."""

        BOOKING = "booking", _("Booking request")
        ABSENCE = "absence", _("Absence notice")
        FAMILY = "family", _("Change of the family")
        GUARDIAN = "guardian", _("Change of a guardian")
        CHILD = "child", _("Change of a child")
        HEALTH = "health", _("Change of health information")
        CONTACT = "contact", _("Change of authorised contacts")
        NEW_GUARDIAN = "new_guardian", _("New guardian")
        NEW_CHILD = "new_child", _("New child")

    class State(models.TextChoices):
        PENDING = "pending", _("in progress")
        ACCEPTED = "accepted", _("accepted")
        PARTIALLY_ACCEPTED = "partially_accepted", _("partially accepted")
        REFUSED = "refused", _("refused")
        WITHDRAWN = "withdrawn", _("withdrawn")

    family = models.ForeignKey(
        Family, verbose_name=_("family"), on_delete=models.CASCADE, related_name="requests"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    topic = models.CharField(_("type"), max_length=20, choices=Topic.choices, db_index=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING, db_index=True
    )
    summary = models.CharField(
        _("summary"), max_length=255, help_text=_("What was asked, in a few words.")
    )
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)
    created_by = optional_link(
        settings.AUTH_USER_MODEL,
        _("submitted by"),
    )
    decided_at, decided_by = decision_fields()
    answer = models.TextField(
        _("answer to the family"), blank=True, help_text=_("Shown to the family with the decision.")
    )

    objects = RequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["family", "state"], name="wfp_request_family_state_idx")]

    def __str__(self):
        return self.summary

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING


class RequestEventQuerySet(models.QuerySet):
    def messages(self):
        """What the municipality wrote to the family (what "N nouveau(x) message(s)" counts)."""
        return self.exclude(message="").exclude(actor=RequestEvent.Actor.FAMILY)

    def unread_by(self, user):
        """Messages the account has not seen: written after its last opening of the request."""
        read = RequestRead.objects.filter(
            request=models.OuterRef("request"), user=user, last_event_id__gte=models.OuterRef("pk")
        )
        return self.messages().exclude(models.Exists(read))


class RequestEvent(HistoryEvent):
    """One step in a request's history: who did what, when, from which state, with what words."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        WITHDRAWN = "withdrawn", _("withdrawn by the family")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")
        MESSAGE = "message", _("message from the service")

    class Actor(models.TextChoices):
        FAMILY = "family", _("the family")
        AGENT = "agent", _("the service")
        SYSTEM = "system", _("automatic")

    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.CharField(_("who"), max_length=10, choices=Actor.choices, default=Actor.SYSTEM)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_state, to_state = state_fields(Request.State.choices)

    objects = RequestEventQuerySet.as_manager()

    class Meta(HistoryEvent.Meta):
        verbose_name = _("request history entry")
        verbose_name_plural = _("request history")

    def __str__(self):
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class RequestRead(models.Model):
    """How far one account has read a request's history (its messages up to ``last_event_id``)."""

    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="reads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("family portal", "account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    last_event_id = models.PositiveBigIntegerField(_("read up to the history entry"))
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("request read")
        verbose_name_plural = _("requests read")
        constraints = [
            models.UniqueConstraint(fields=["request", "user"], name="wfp_unique_request_read")
        ]

    def __str__(self):
        return f"{self.user} {self.request_id}"


class FileChange(models.Model):
    """One line of a change to the family file: a field changed, or a record added or removed.

    Values are stored as the model field's text form (``Field.value_to_string``), so that the
    agent sees exactly what was there and what is asked, and accepting can tell whether the record
    changed in between (``old_value`` no longer matches).
    """

    class Target(models.TextChoices):
        FAMILY = "family", _("family")
        GUARDIAN = "guardian", _("guardian")
        CHILD = "child", _("child")
        HEALTH = "health", _("health information")
        CONTACT = "contact", _("authorised contact")

    class Operation(models.TextChoices):
        UPDATE = "update", _("change")
        ADD = "add", _("addition")
        REMOVE = "remove", _("removal")

    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="file_changes"
    )
    target_type = models.CharField(_("record"), max_length=20, choices=Target.choices)
    target_id = models.PositiveBigIntegerField(
        _("record id"), null=True, blank=True, help_text=_("Empty for a record to add.")
    )
    operation = models.CharField(
        _("operation"), max_length=10, choices=Operation.choices, default=Operation.UPDATE
    )
    field = models.CharField(_("field"), max_length=60, blank=True)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)

    class Meta:
        verbose_name = _("family file change")
        verbose_name_plural = _("family file changes")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.get_target_type_display()} {self.target_id or ''} {self.field}".strip()
