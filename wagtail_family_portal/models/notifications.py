"""What editors change in the e-mails the portal sends, per site."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, HelpPanel

from ..emails.kinds import KINDS, kind_choices


class EmailTemplate(models.Model):
    """The wording of one kind of e-mail on one site; empty fields keep the default wording."""

    site = models.ForeignKey(
        "wagtailcore.Site", verbose_name=_("site"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("e-mail"), max_length=40, choices=kind_choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(
        _("text"),
        blank=True,
        help_text=_(
            "Leave a blank line between paragraphs. Placeholders such as {first_name}, "
            "{full_name} or {municipality} are replaced by their value."
        ),
    )
    button_label = models.CharField(_("button label"), max_length=60, blank=True)

    panels = [
        FieldPanel("site"),
        FieldPanel("kind"),
        HelpPanel(
            content=_(
                "The button, the plain link, the municipality's contact details, the signature "
                "and the footer of Settings → Family portal are added to every e-mail."
            )
        ),
        FieldPanel("subject"),
        FieldPanel("body"),
        FieldPanel("button_label"),
    ]

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
