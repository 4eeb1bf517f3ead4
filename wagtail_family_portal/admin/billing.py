"""The billing screens of the admin ("Billing" menu, the régie's work): régies, price grids,
billing runs and their review, invoices (read-only once issued, credit notes) and the export of
the lines for the accounting software; the menu also holds the payments' and direct debit's
screens of ``billing_payments``.

A billing permission of its own: each screen needs the permissions of its model (the "Billing
agents" group, ``permissions.BILLING_PERMISSIONS``); the family-file group has none of them.
Rows are scoped to the agent's municipalities like every other screen (``for_agent``). The runs'
screens are in ``billing_runs``, the invoices' in ``billing_invoices``; this module holds the
régies, the price grids and the menu group.
"""

import json
import os

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, Panel
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.base import ViewSetGroup

from ..models import Activity, BillingOffice, PriceGrid
from ..models.billing import check_bands
from . import billing_payments
from .base import MunicipalityScopedViewSet
from .billing_invoices import InvoiceViewSet
from .billing_runs import BillingRunViewSet, InvoiceLineViewSet
from .filters import municipality_filter
from .forms import MunicipalityScopedForm
from .scoping import scoped_choices

__all__ = [
    "BillingOfficeViewSet",
    "BillingRunViewSet",
    "BillingViewSetGroup",
    "InvoiceLineViewSet",
    "InvoiceViewSet",
    "PriceGridForm",
    "PriceGridViewSet",
    "SecretsStatus",
    "billing_permission_policies",
    "secrets_status",
]


# Régies


class SecretsStatus:
    """Whether the environment variable a régie names holds its online-payment secrets. The
    value itself is never read out, shown or stored: only whether it is there and is JSON."""

    NONE = "none"  # no variable named
    MISSING = "missing"
    INVALID = "invalid"
    SET = "set"

    labels = {
        NONE: _("No variable named"),
        MISSING: _("Not set on this server"),
        INVALID: _("Set on this server, but not valid JSON"),
        SET: _("Set on this server"),
    }


def secrets_status(office: BillingOffice) -> str:
    name = office.payment_secrets_env
    if not name:
        return SecretsStatus.NONE
    value = os.environ.get(name)
    if value is None:
        return SecretsStatus.MISSING
    try:
        json.loads(value)
    except ValueError:
        return SecretsStatus.INVALID
    return SecretsStatus.SET


def secrets_label(office: BillingOffice) -> str:
    return str(SecretsStatus.labels[secrets_status(office)])


class SecretsStatusPanel(Panel):
    """Read-only: whether the variable named by the saved régie is set on this server."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_family_portal/admin/billing/secrets_status_panel.html"

        def is_shown(self):
            return bool(self.instance and self.instance.pk)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            status = secrets_status(self.instance)
            context.update(
                name=self.instance.payment_secrets_env,
                status=status,
                label=SecretsStatus.labels[status],
                is_set=status == SecretsStatus.SET,
            )
            return context


class BillingOfficeFilterSet(WagtailFilterSet):
    municipality = municipality_filter()

    class Meta:
        model = BillingOffice
        fields = ["municipality", "payment_backend"]


class BillingOfficeViewSet(MunicipalityScopedViewSet):
    model = BillingOffice
    name = "family_portal_billing_offices"
    url_prefix = "family-portal/billing/offices"
    icon = "home"
    menu_label = _("Régies")
    select_related = ["municipality"]
    list_display = [
        "name",
        "code",
        "municipality",
        "payment_backend",
        Column("secrets", label=_("online payment secrets"), accessor=secrets_label),
    ]
    filterset_class = BillingOfficeFilterSet
    search_fields = ["name", "code"]
    list_export = [
        "name",
        "code",
        "municipality",
        "address",
        "phone",
        "email",
        "siret",
        "payment_terms_days",
        "reminder_days",
        "get_payment_backend_display",
        "payment_secrets_env",
        "creditor_name",
        "creditor_identifier",
    ]
    export_headings = {"get_payment_backend_display": _("online payment service")}
    export_filename = "regies"
    inspect_view_fields = [
        "name",
        "code",
        "municipality",
        "address",
        "phone",
        "email",
        "siret",
        "payment_terms_days",
        "reminder_days",
        "payment_backend",
        "payment_options",
        "payment_secrets_env",
        "creditor_name",
        "creditor_identifier",
        "creditor_iban",
        "creditor_bic",
        "debit_days_after_issue",
    ]
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("municipality"),
                FieldRowPanel([FieldPanel("name"), FieldPanel("code")]),
                FieldPanel("address"),
                FieldRowPanel([FieldPanel("phone"), FieldPanel("email")]),
                FieldPanel("siret"),
            ],
            heading=_("Régie"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("payment_terms_days"), FieldPanel("reminder_days")]),
                FieldPanel("payment_instructions"),
                FieldPanel("footer"),
            ],
            heading=_("Invoices"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("payment_backend"),
                FieldPanel("payment_options"),
                FieldPanel("payment_secrets_env"),
                SecretsStatusPanel(heading=_("Secrets on this server")),
            ],
            heading=_("Online payment"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("creditor_name"),
                FieldPanel("creditor_identifier"),
                FieldRowPanel([FieldPanel("creditor_iban"), FieldPanel("creditor_bic")]),
                FieldPanel("debit_days_after_issue"),
            ],
            heading=_("SEPA direct debit"),
        ),
    ]


# Price grids


class PriceGridForm(MunicipalityScopedForm):
    """A grid with its bands: the bands of a grid by family quotient must cover every QF from 0
    without gaps or overlaps (``check_bands``); only an effort-rate grid has a rate, a minimum
    and a maximum, and it has no bands."""

    RATE_FIELDS = ("effort_rate", "minimum_price", "maximum_price")

    def kept_bands(self):
        """The band forms' rows as they would be saved (deleted and empty forms left out), or
        ``None`` when a band form has errors of its own (shown on it)."""
        formset = self.formsets.get("bands")
        if formset is None:
            return []
        if not formset.is_valid():
            return None
        return [
            form.instance
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        cleaned_data = super().clean()
        method = cleaned_data.get("method")
        bands = self.kept_bands()
        if method == PriceGrid.Method.BANDS:
            for name in self.RATE_FIELDS:
                if cleaned_data.get(name) is not None:
                    self.add_error(
                        name,
                        ValidationError(
                            _("Only an effort-rate grid has a rate, a minimum and a maximum."),
                            code="not_effort_rate",
                        ),
                    )
            if bands is not None:
                for message in check_bands(bands):
                    self.add_error(None, ValidationError(message, code="bands"))
        elif method == PriceGrid.Method.EFFORT_RATE and bands:
            self.add_error(
                None,
                ValidationError(
                    _("A grid by effort rate has no bands: delete them."), code="bands"
                ),
            )
        return cleaned_data


class PriceGridFilterSet(WagtailFilterSet):
    activity = django_filters.ModelChoiceFilter(
        label=_("activity"), queryset=scoped_choices(Activity)
    )
    billing_office = django_filters.ModelChoiceFilter(
        label=_("régie"), queryset=scoped_choices(BillingOffice)
    )

    class Meta:
        model = PriceGrid
        fields = ["activity", "billing_office", "method", "unit"]


BAND_PANELS = [
    FieldPanel("label"),
    FieldRowPanel([FieldPanel("quotient_min"), FieldPanel("quotient_max")]),
    FieldRowPanel([FieldPanel("price"), FieldPanel("outside_price")]),
    FieldPanel("for_missing_quotient"),
]


class PriceGridViewSet(MunicipalityScopedViewSet):
    model = PriceGrid
    name = "family_portal_price_grids"
    url_prefix = "family-portal/billing/price-grids"
    icon = "table"
    menu_label = _("Price grids")
    base_form_class = PriceGridForm
    select_related = ["activity__establishment", "billing_office"]
    list_display = [
        "activity",
        "billing_office",
        DateColumn("valid_from", label=_("valid from")),
        DateColumn("valid_until", label=_("valid until")),
        Column("method", label=_("pricing"), accessor="get_method_display"),
        Column("unit", label=_("unit"), accessor="get_unit_display"),
    ]
    filterset_class = PriceGridFilterSet
    search_fields = ["activity__name", "billing_office__name"]
    list_export = [
        "activity",
        "billing_office",
        "valid_from",
        "valid_until",
        "get_method_display",
        "get_unit_display",
        "effort_rate",
        "minimum_price",
        "maximum_price",
        "outside_price_increase",
        "second_child_reduction",
        "third_child_reduction",
    ]
    export_headings = {
        "get_method_display": _("pricing"),
        "get_unit_display": _("unit"),
    }
    export_filename = "price-grids"
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("activity"),
                FieldPanel("billing_office"),
                FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
                FieldRowPanel([FieldPanel("method"), FieldPanel("unit")]),
            ],
            heading=_("Price grid"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("effort_rate"),
                FieldRowPanel([FieldPanel("minimum_price"), FieldPanel("maximum_price")]),
            ],
            heading=_("Effort rate"),
        ),
        InlinePanel(
            "bands",
            heading=_("Family-quotient bands"),
            label=_("band"),
            panels=BAND_PANELS,
        ),
        MultiFieldPanel(
            [
                FieldPanel("outside_price_increase"),
                FieldRowPanel(
                    [FieldPanel("second_child_reduction"), FieldPanel("third_child_reduction")]
                ),
            ],
            heading=_("Residence and siblings"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("bill_late_absences"),
                FieldPanel("bill_no_shows"),
                FieldPanel("unbooked_surcharge"),
            ],
            heading=_("What is billed"),
        ),
    ]


# The menu


class BillingViewSetGroup(ViewSetGroup):
    """The "Billing" menu, beside the family portal's: shown to users with billing
    permissions only (each entry needs its model's)."""

    menu_label = _("Billing")
    menu_icon = "doc-full"
    menu_order = 160
    items = (
        BillingRunViewSet,
        InvoiceViewSet,
        *billing_payments.PAYMENT_VIEWSETS,
        InvoiceLineViewSet,
        PriceGridViewSet,
        BillingOfficeViewSet,
    )


# The screens of this module and its two siblings; the payments' screens register their own
# policies (``billing_payments.permission_policies``).
BILLING_VIEWSETS = (
    BillingRunViewSet,
    InvoiceViewSet,
    InvoiceLineViewSet,
    PriceGridViewSet,
    BillingOfficeViewSet,
)


def billing_permission_policies():
    """``(model, policy)`` of the régies', grids', runs', invoices' and lines' screens, to
    register before Wagtail needs them."""
    for viewset_class in BILLING_VIEWSETS:
        yield viewset_class.model, viewset_class.permission_policy_class(viewset_class.model)
