"""The municipalities in the admin: their portal's site, contact details, logo and agents."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel

from ..models import Municipality
from .base import MunicipalityScopedViewSet
from .families import ADDRESS_PANELS


class MunicipalityViewSet(MunicipalityScopedViewSet):
    model = Municipality
    name = "family_portal_municipalities"
    url_prefix = "family-portal/municipalities"
    icon = "site"
    menu_label = _("Municipalities")
    list_display = ["name", "city", "phone", "contact_email"]
    search_fields = ["name", "city"]
    inspect_view_fields = [
        "name",
        "site",
        "postal_address",
        "phone",
        "contact_email",
        "sender_email",
        "website",
    ]
    panels = [
        FieldPanel("name"),
        FieldPanel("site"),
        MultiFieldPanel(ADDRESS_PANELS, heading=_("Address")),
        MultiFieldPanel(
            [
                FieldPanel("phone"),
                FieldPanel("contact_email"),
                FieldPanel("sender_email"),
                FieldPanel("website"),
            ],
            heading=_("Contact"),
        ),
        FieldPanel("logo"),
        FieldPanel("agents"),
    ]
