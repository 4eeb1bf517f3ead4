"""Per-site configuration that editors change in the CMS (Settings → Family portal)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField

from ..validators import validate_digest_times, validate_hex_colour
from .scoping import MunicipalitySitePermissionPolicy

LEGEND_STATES = (
    "booking_requested",
    "booked",
    "absence_requested",
    "absent",
    "refused",
    "waiting_list",
    "enrolled",
    "closed",
)
DEFAULT_EMAIL_FOOTER = _("This is an automatic message, please do not reply to it.")
DEFAULT_DIGEST_TIMES = "13:00, 18:00"


def legend_fields(label_name, colour_name):
    """``legend_<state>_label, legend_<state>_colour`` of one state of ``LEGEND_STATES``: what
    the planning's legend shows instead of the default, both optional (empty: the default)."""
    return (
        models.CharField(label_name, max_length=60, blank=True),
        models.CharField(colour_name, max_length=7, blank=True, validators=[validate_hex_colour]),
    )


class MunicipalitySiteSetting(BaseSiteSetting):
    """A site setting that a non-superuser edits only for the sites of their municipalities
    (``Municipality.agents``), within Wagtail's own permission to change the setting."""

    class Meta:
        abstract = True

    @classmethod
    def get_permission_policy(cls):
        return MunicipalitySitePermissionPolicy(cls)


@register_setting(icon="group")
class FamilyPortalSettings(MunicipalitySiteSetting):
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
    legend_booking_requested_label, legend_booking_requested_colour = legend_fields(
        _("label: booking requested"), _("colour: booking requested")
    )
    legend_booked_label, legend_booked_colour = legend_fields(
        _("label: booked"), _("colour: booked")
    )
    legend_absence_requested_label, legend_absence_requested_colour = legend_fields(
        _("label: absence requested"), _("colour: absence requested")
    )
    legend_absent_label, legend_absent_colour = legend_fields(
        _("label: absence accepted"), _("colour: absence accepted")
    )
    legend_refused_label, legend_refused_colour = legend_fields(
        _("label: refused"), _("colour: refused")
    )
    legend_waiting_list_label, legend_waiting_list_colour = legend_fields(
        _("label: waiting list"), _("colour: waiting list")
    )
    legend_enrolled_label, legend_enrolled_colour = legend_fields(
        _("label: enrolled, not booked"), _("colour: enrolled, not booked")
    )
    legend_closed_label, legend_closed_colour = legend_fields(
        _("label: closed"), _("colour: closed")
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
    digest_times = models.CharField(
        _("times of the decision e-mails"),
        max_length=200,
        default=DEFAULT_DIGEST_TIMES,
        validators=[validate_digest_times],
        help_text=_(
            "Decisions are gathered and mailed to families at these times (Paris time), "
            "separated by commas, e.g. 13:00, 18:00. Each e-mail covers the decisions made "
            "since the previous time."
        ),
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
        MultiFieldPanel(
            [FieldPanel("pending_colour")]
            + [
                FieldPanel(f"legend_{state}_{part}")
                for state in LEGEND_STATES
                for part in ("label", "colour")
            ],
            heading=_("Legend"),
            help_text=_(
                "Labels and colours (#RRGGBB) of the planning's states; empty fields keep the "
                "default ones."
            ),
        ),
        MultiFieldPanel(
            [
                FieldPanel("email_signature"),
                FieldPanel("email_footer"),
                FieldPanel("digest_times"),
            ],
            heading=_("E-mails"),
        ),
    ]

    class Meta:
        verbose_name = _("family portal")

    @property
    def municipality(self):
        from .municipality import Municipality

        return Municipality.objects.filter(site_id=self.site_id).first()
