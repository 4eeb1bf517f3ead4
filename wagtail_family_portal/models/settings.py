"""Per-site configuration that editors change in the CMS (Settings → Family portal)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField

from ..validators import validate_hex_colour

DEFAULT_EMAIL_FOOTER = _("This is an automatic message, please do not reply to it.")


@register_setting(icon="group")
class FamilyPortalSettings(BaseSiteSetting):
    """The portal's configuration for one site.

    The municipality of the site is read from ``Municipality.site`` (one place for that link);
    ``municipality`` below exposes it.
    """

    documents_enabled = models.BooleanField(
        _("supporting documents module"),
        default=False,
        help_text=_("Families can upload the supporting documents the service asks for."),
    )
    nursery_enabled = models.BooleanField(
        _("nursery pre-registration module"),
        default=False,
        help_text=_("Families can pre-register a baby for a nursery."),
    )
    welcome_text = RichTextField(
        _("welcome text"),
        blank=True,
        help_text=_("Shown at the top of the families' dashboard."),
    )
    tax_data_help_text = RichTextField(
        _("how to change tax data"),
        blank=True,
        help_text=_(
            "Shown next to the read-only tax data (QF, CAF number): which documents to bring "
            "and to whom."
        ),
    )
    terms_text = RichTextField(
        _("terms of use"),
        blank=True,
        help_text=_(
            "The municipality's terms of use of the portal, which every person accepts when "
            "creating an account (shown on the sign-up form)."
        ),
    )
    pending_colour = models.CharField(
        _("colour of changes waiting for validation"),
        max_length=7,
        default="#FFE58F",
        validators=[validate_hex_colour],
        help_text=_(
            "Background of the values a family asked to change, until an agent decides "
            "(#RRGGBB; yellow by default)."
        ),
    )
    email_signature = models.TextField(
        _("e-mail signature"),
        blank=True,
        help_text=_("e.g. Le service Enfance de la mairie, 02 02 02 02 02, du lundi au vendredi."),
    )
    email_footer = models.TextField(
        _("e-mail footer"),
        blank=True,
        default=DEFAULT_EMAIL_FOOTER,
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("documents_enabled"), FieldPanel("nursery_enabled")],
            heading=_("Optional modules"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("welcome_text"),
                FieldPanel("tax_data_help_text"),
                FieldPanel("terms_text"),
            ],
            heading=_("Texts"),
        ),
        MultiFieldPanel([FieldPanel("pending_colour")], heading=_("Legend")),
        MultiFieldPanel(
            [FieldPanel("email_signature"), FieldPanel("email_footer")],
            heading=_("E-mails"),
        ),
    ]

    class Meta:
        verbose_name = _("family portal")

    @property
    def municipality(self):
        from .municipality import Municipality

        return Municipality.objects.filter(site_id=self.site_id).first()
