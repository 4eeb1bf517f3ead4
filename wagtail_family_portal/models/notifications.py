"""E-mails: what editors change in them per site, and the outbox of the decision digests.

``DecisionNotice`` is written in the same transaction as the decision it reports (an agent's
or the system's); the digest job gives it a ``slot`` in the same transaction as it creates the
``DigestDelivery`` rows of the family, one per account that wants e-mails. A notice therefore
belongs to exactly one digest, whatever happens to the job (decisions.md §24).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel, HelpPanel

from ..emails.kinds import KINDS, kind_choices
from .municipality import scoped_manager


class EmailTemplate(models.Model):
    """The wording of one kind of e-mail on one site; empty fields keep the default wording."""

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=pgettext_lazy("family portal", "site"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("e-mail"), max_length=40, choices=kind_choices)
    subject = models.CharField(
        pgettext_lazy("family portal", "subject"), max_length=200, blank=True
    )
    intro = models.TextField(
        _("introduction"),
        blank=True,
        help_text=_("Leave a blank line between paragraphs."),
    )
    common_text = models.TextField(
        _("common text"),
        blank=True,
        help_text=_("Added after the table of every e-mail of this kind (the adjustable zone)."),
    )
    signature = models.TextField(
        _("signature"),
        blank=True,
        help_text=_("Empty: the signature of Settings → Family portal."),
    )
    footer = models.TextField(
        _("footer"),
        blank=True,
        help_text=_("Empty: the footer of Settings → Family portal."),
    )
    button_label = models.CharField(_("button label"), max_length=60, blank=True)

    panels = [
        FieldPanel("site"),
        FieldPanel("kind"),
        HelpPanel(
            content=_(
                "Empty fields keep the default wording. The table of days, the agents' "
                "messages, the button with its plain link and the municipality's contact "
                "details are added by the portal."
            )
        ),
        FieldPanel("subject"),
        FieldPanel("intro"),
        FieldPanel("common_text"),
        FieldPanel("signature"),
        FieldPanel("footer"),
        FieldPanel("button_label"),
    ]

    # An editor sees the texts of the sites of their municipalities (admin/scoping.py).
    objects = scoped_manager("site__family_portal_municipality")

    class Meta:
        verbose_name = _("e-mail text")
        verbose_name_plural = _("e-mail texts")
        ordering = ["site", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["site", "kind"], name="wfp_unique_email_template")
        ]

    def __str__(self):
        kind = KINDS.get(self.kind)
        return str(kind.label) if kind else self.kind

    def clean(self):
        from ..emails.placeholders import check_template

        errors = check_template(self)
        if errors:
            raise ValidationError(errors)


class DecisionNotice(models.Model):
    """A decision to report in a family's next digest (the outbox of the "Accusé de traitement").

    ``line`` is the booking day decided; empty for a change to the family file. ``slot`` is the
    time of the digest that took it; empty until then.
    """

    family = models.ForeignKey(
        "wagtail_family_portal.Family",
        verbose_name=_("family"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    request = models.ForeignKey(
        "wagtail_family_portal.Request",
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    line = models.ForeignKey(
        "wagtail_family_portal.BookingLine",
        verbose_name=pgettext_lazy("family portal", "day"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=20)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("decided at"), default=timezone.now)
    slot = models.DateTimeField(_("mailed in the digest of"), null=True, blank=True)

    class Meta:
        verbose_name = _("decision to mail")
        verbose_name_plural = _("decisions to mail")
        indexes = [
            models.Index(fields=["slot", "created_at"], name="wfp_notice_slot_idx"),
            models.Index(fields=["family", "slot"], name="wfp_notice_family_slot_idx"),
        ]

    def __str__(self):
        return f"{self.request_id} {self.decision}"


class DigestDelivery(models.Model):
    """One digest e-mail to one account: a family's decisions of one slot."""

    class State(models.TextChoices):
        PENDING = "pending", _("to send")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        EMPTY = "empty", _("nothing to send")

    family = models.ForeignKey(
        "wagtail_family_portal.Family",
        verbose_name=_("family"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    slot = models.DateTimeField(_("digest of"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("family portal", "account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(
        pgettext_lazy("family portal", "created at"), default=timezone.now
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    claimed_until = models.DateTimeField(
        _("taken by a run until"),
        null=True,
        blank=True,
        help_text=_("Other runs leave it alone until then; a failed one is tried again after."),
    )

    objects = scoped_manager("family__municipality")

    class Meta:
        verbose_name = _("digest e-mail")
        verbose_name_plural = _("digest e-mails")
        constraints = [
            models.UniqueConstraint(
                fields=["family", "slot", "user"], name="wfp_unique_digest_delivery"
            )
        ]
        indexes = [models.Index(fields=["state", "slot"], name="wfp_delivery_state_idx")]

    def __str__(self):
        return f"{self.family_id} {self.slot:%Y-%m-%d %H:%M} {self.user_id}"
