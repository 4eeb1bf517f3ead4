"""Payments and direct debit in the admin (the billing office's agents).

- **Payments**: the list (filters: régie, method, dates, rejected; CSV/XLSX export), a
  payment's detail with its allocations, "Record a payment" for a family (allocated to chosen
  invoices, optionally an amount per invoice, the rest kept as the family's credit only when the
  agent ticks it) and "Record a rejection" (a bounced cheque, a rejected debit);
- **Overdue invoices**: issued, still owing, due date passed, with the days overdue;
- **Direct debit mandates**: list, sign one for a family and a guardian, revoke;
- **Direct debit files**: the pain.008 files of the runs, their debits, the download.

Every row comes through ``for_agent`` (another town's id is a 404) and every change through
``services.billing`` (``payments``, ``sepa``). ``PAYMENT_VIEWSETS`` lists the screens, for the
"Billing" menu group.
"""

from collections import OrderedDict

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import formats
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.coreutils import multigetattr

from .. import clock
from ..headers import never_cache
from ..models import (
    BillingOffice,
    DirectDebitBatch,
    DirectDebitMandate,
    Family,
    Invoice,
    Payment,
)
from ..services.billing import BillingError, payments, reminders, sepa
from ..validators import mask_iban
from .agent_bookings import FamilyChoiceForm
from .base import (
    MunicipalityScopedViewSet,
    ScopedIndexView,
    ScopedInspectView,
    permissions_to_register,
)
from .policies import PermissionCheckedMixin
from .scoping import MunicipalityScopedPermissionPolicy, for_agent, scoped_choices
from .widgets import DateInput, DateRangeInput

EMPTY = "—"
TEMPLATES = "wagtail_family_portal/admin/billing_payments/"
PAYMENT_REJECT_URL_NAME = "family_portal_payments:reject"
# Payment methods an agent records; online payments and credit notes come from their services.
DESK_METHODS = [
    (value, label)
    for value, label in Payment.Method.choices
    if value not in (Payment.Method.ONLINE, Payment.Method.CREDIT)
]


def euros(value) -> str:
    return f"{formats.number_format(value, 2, use_l10n=True)} €" if value is not None else EMPTY


def short_date(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else EMPTY


def scoped_offices(user):
    return for_agent(BillingOffice.objects.order_by("name"), user)


def export_row(view, item, computed: dict) -> OrderedDict:
    """A row of Wagtail's CSV/XLSX export, with the ``computed`` columns (name → function of
    the row) that are no attribute of the model."""
    return OrderedDict(
        (field, computed[field](item) if field in computed else multigetattr(item, field))
        for field in view.list_export
    )


# Permission policies: what each screen allows


class PaymentPermissionPolicy(MunicipalityScopedPermissionPolicy):
    """Payments are recorded (``add``) and rejected (``change``), never edited or deleted."""

    def user_has_permission(self, user, action):
        return action != "delete" and super().user_has_permission(user, action)


class MandatePermissionPolicy(PaymentPermissionPolicy):
    """Mandates are signed (``add``) and revoked (``change``), never deleted: the debits made
    under them name them."""


class DebitBatchPermissionPolicy(MunicipalityScopedPermissionPolicy):
    """Direct-debit files are made by the run's issue; agents read and download them."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)


class OverdueInvoicePermissionPolicy(DebitBatchPermissionPolicy):
    """The overdue invoices' list reads invoices (``view_invoice``)."""


# The common shape of these screens


class BillingViewSet(MunicipalityScopedViewSet):
    """A screen without Wagtail's add, edit, delete, copy, history or usage views: changes go
    through the services, in the views each viewset adds."""

    actions = ("view",)
    own_policy = None  # a policy of this screen only (not registered for the model)

    @cached_property
    def permission_policy(self):
        if self.own_policy is not None:
            return self.own_policy(self.model)
        return super().permission_policy

    def get_common_view_kwargs(self, **kwargs):
        absent = ("edit", "delete", "history", "usage")
        kwargs = {f"{name}_url_name": None for name in absent} | kwargs
        kwargs.setdefault("add_url_name", None)
        kwargs.setdefault("permission_policy", self.permission_policy)
        return super().get_common_view_kwargs(**kwargs)

    def get_urlpatterns(self):
        urlpatterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
        if self.inspect_view_enabled:
            urlpatterns.append(path("inspect/<int:pk>/", self.inspect_view, name="inspect"))
        return urlpatterns

    def get_permissions_to_register(self):
        return permissions_to_register(self.model, self.actions)


class ServiceFormView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """A form of an agent that calls a billing service; a ``BillingError`` is shown on the form
    (on its field when the error names one) and nothing is recorded."""

    index_url_name = None
    inspect_url_name = None
    header_icon = "form"
    error_fields = {}

    def service_error(self, form, error: BillingError):
        field = self.error_fields.get(error.code)
        form.add_error(field if field in form.fields else None, error.message)

    def render(self, status=200, **context):
        response = self.render_to_response(self.get_context_data(**context))
        response.status_code = status
        return response

    def get_breadcrumbs_items(self):
        items = list(self.breadcrumbs_items)
        if self.index_url_name:
            items.append(
                {
                    "url": reverse(self.index_url_name),
                    "label": capfirst(self.model._meta.verbose_name_plural),
                }
            )
        return [*items, {"url": "", "label": self.get_page_title()}]


# Payments


class PaymentFilterSet(WagtailFilterSet):
    billing_office = django_filters.ModelChoiceFilter(
        label=_("régie"), queryset=scoped_choices(BillingOffice)
    )
    method = django_filters.ChoiceFilter(label=_("payment method"), choices=Payment.Method.choices)
    date = django_filters.DateFromToRangeFilter(
        label=pgettext_lazy("family portal", "date"), widget=DateRangeInput
    )
    rejected = django_filters.BooleanFilter(label=_("rejected"))

    class Meta:
        model = Payment
        fields = []


def allocations_text(payment) -> str:
    """ "2026-000012: 32.00; 2026-000015: 8.00" (the export's column)."""
    return "; ".join(
        f"{allocation.invoice.number}: {allocation.amount}"
        for allocation in payment.allocations.all()
    )


class PaymentIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().prefetch_related("allocations__invoice")

    def to_row_dict(self, item):
        return export_row(self, item, {"allocations": allocations_text})


class PaymentInspectView(ScopedInspectView):
    template_name = TEMPLATES + "payment_inspect.html"
    reject_url_name = None

    def get_object(self, queryset=None):
        payment = super().get_object(queryset)
        return Payment.objects.select_related(
            "family", "billing_office", "recorded_by", "debit_batch"
        ).get(pk=payment.pk)

    def get_fields_context(self):
        payment = self.object
        rows = [
            (pgettext_lazy("family portal", "number"), payment.number),
            (_("family"), payment.family.name),
            (_("régie"), payment.billing_office.name),
            (_("payment method"), payment.get_method_display()),
            (pgettext_lazy("family portal", "date"), short_date(payment.date)),
            (_("amount"), euros(payment.amount)),
            (_("reference"), payment.reference),
            (_("kept as credit"), euros(payments.unallocated(payment))),
            (_("recorded by"), payment.recorded_by),
            (_("recorded at"), payment.recorded_at),
            (_("direct debit file"), payment.debit_batch),
        ]
        if payment.rejected:
            rows += [
                (_("rejected at"), payment.rejected_at),
                (_("rejection reason"), payment.rejection_reason),
            ]
        return [
            {
                "label": capfirst(label),
                "value": EMPTY if value in (None, "") else value,
                "component": None,
            }
            for label, value in rows
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        payment = self.object
        context["allocations"] = list(
            payment.allocations.select_related("invoice").order_by("invoice__due_date", "pk")
        )
        if (
            not payment.rejected
            and self.reject_url_name
            and self.permission_policy.user_has_permission(self.request.user, "change")
        ):
            context["reject_url"] = reverse(self.reject_url_name, args=[quote(payment.pk)])
        return context


class RecordPaymentForm(forms.Form):
    """A payment of a family, allocated to chosen invoices (``pay_<id>``), optionally with the
    amount of each (``part_<id>``)."""

    billing_office = forms.ModelChoiceField(label=_("régie"), queryset=BillingOffice.objects.none())
    method = forms.ChoiceField(label=_("payment method"), choices=DESK_METHODS)
    date = forms.DateField(label=pgettext_lazy("family portal", "date"), widget=DateInput)
    amount = forms.CharField(label=_("amount"), max_length=20, help_text=_("In euros, e.g. 42.50"))
    reference = forms.CharField(
        label=_("reference"),
        max_length=100,
        required=False,
        help_text=_("e.g. the cheque's number."),
    )
    allow_credit = forms.BooleanField(
        label=_("Keep the rest as a credit for the family"),
        required=False,
        help_text=_(
            "Without it, a payment larger than what the chosen invoices still owe is refused. "
            "The credit pays the family's next invoices."
        ),
    )

    def __init__(self, *args, family, user, **kwargs):
        super().__init__(*args, **kwargs)
        offices = scoped_offices(user).filter(municipality=family.municipality_id)
        self.fields["billing_office"].queryset = offices
        if len(offices) == 1:
            self.fields["billing_office"].initial = offices[0].pk
        self.fields["date"].initial = clock.today()
        self.invoices = list(
            for_agent(Invoice.objects.to_pay(), user)
            .filter(family=family)
            .select_related("billing_office")
            .order_by("due_date", "pk")
        )
        for invoice in self.invoices:
            self.fields[f"pay_{invoice.pk}"] = forms.BooleanField(
                label=gettext("Invoice %(number)s") % {"number": invoice.number}, required=False
            )
            self.fields[f"part_{invoice.pk}"] = forms.CharField(
                label=gettext("Amount for invoice %(number)s") % {"number": invoice.number},
                required=False,
                max_length=20,
            )

    def invoice_rows(self):
        today = clock.today()
        return [
            {
                "invoice": invoice,
                "pay": self[f"pay_{invoice.pk}"],
                "part": self[f"part_{invoice.pk}"],
                "due_date": short_date(invoice.due_date),
                "total": euros(invoice.total),
                "balance": euros(invoice.balance),
                "status": Invoice.Status(invoice.status_on(today)).label,
            }
            for invoice in self.invoices
        ]

    def clean(self):
        cleaned_data = super().clean()
        chosen = [i for i in self.invoices if cleaned_data.get(f"pay_{i.pk}")]
        parts = {i.pk: (cleaned_data.get(f"part_{i.pk}") or "").strip() for i in chosen}
        given = {pk: part for pk, part in parts.items() if part}
        if given and len(given) != len(chosen):
            raise forms.ValidationError(
                _("Give the amount of every chosen invoice, or of none (oldest first).")
            )
        office = cleaned_data.get("billing_office")
        if office is not None:
            for invoice in chosen:
                if invoice.billing_office_id != office.pk:
                    raise forms.ValidationError(
                        _("Invoice %(number)s was issued by another régie.")
                        % {"number": invoice.number}
                    )
        cleaned_data["invoice_ids"] = [i.pk for i in chosen]
        cleaned_data["allocations"] = given or None
        return cleaned_data


class RecordPaymentView(ServiceFormView):
    """Choose the family, then record its payment: through ``payments.record_payment``."""

    model = Payment
    permission_required = "add"
    template_name = TEMPLATES + "record_payment.html"
    page_title = _("Record a payment")
    header_icon = "form"
    error_fields = {"amount": "amount", "method": "method"}

    @cached_property
    def family(self) -> Family | None:
        family_id = self.request.GET.get("family") or self.request.POST.get("family")
        if not family_id:
            return None
        if not str(family_id).isdigit():
            raise Http404
        families = for_agent(Family.objects.select_related("municipality"), self.request.user)
        return get_object_or_404(families, pk=family_id)

    def get_page_subtitle(self):
        return self.family.name if self.family else ""

    def get(self, request, *args, **kwargs):
        if self.family is None:
            return self.render(choice_form=FamilyChoiceForm(user=request.user))
        return self.render(form=RecordPaymentForm(family=self.family, user=request.user))

    def post(self, request, *args, **kwargs):
        if self.family is None:
            raise Http404
        form = RecordPaymentForm(request.POST, family=self.family, user=request.user)
        if not form.is_valid():
            return self.render(form=form, status=400)
        data = form.cleaned_data
        try:
            payment = payments.record_payment(
                office=data["billing_office"],
                family=self.family,
                method=data["method"],
                amount=data["amount"],
                date=data["date"],
                invoices=data["invoice_ids"],
                allocations=data["allocations"],
                reference=data["reference"],
                user=request.user,
                allow_credit=data["allow_credit"],
            )
        except BillingError as error:
            self.service_error(form, error)
            return self.render(form=form, status=400)
        messages.success(
            request,
            gettext("Payment %(number)s of %(amount)s recorded.")
            % {"number": payment.number, "amount": euros(payment.amount)},
        )
        return redirect(self.inspect_url_name, payment.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["family"] = self.family
        context["change_family_url"] = reverse(self.request.resolver_match.view_name)
        if context.get("form") is not None:
            context["invoice_rows"] = context["form"].invoice_rows()
        return context


class RejectionForm(forms.Form):
    reason = forms.CharField(
        label=_("rejection reason"),
        max_length=200,
        help_text=_("e.g. AM04 insufficient funds, cheque without funds."),
    )


class RecordRejectionView(ServiceFormView):
    """A payment that did not go through: its invoices owe again (a rejected direct debit also
    counts on the family's mandate)."""

    model = Payment
    permission_required = "change"
    template_name = TEMPLATES + "record_rejection.html"
    page_title = _("Record a rejection")
    header_icon = "warning"
    error_fields = {"reason": "reason"}

    @cached_property
    def payment(self) -> Payment:
        queryset = for_agent(Payment.objects.select_related("family"), self.request.user)
        return get_object_or_404(queryset, pk=self.kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.payment)

    def get(self, request, *args, **kwargs):
        return self.render(form=RejectionForm())

    def post(self, request, *args, **kwargs):
        form = RejectionForm(request.POST)
        if not form.is_valid():
            return self.render(form=form, status=400)
        payment = self.payment
        if payment.rejected:
            messages.warning(request, gettext("This payment was already recorded as rejected."))
            return redirect(self.inspect_url_name, payment.pk)
        try:
            if payment.method == Payment.Method.DIRECT_DEBIT:
                sepa.record_rejection(payment, form.cleaned_data["reason"], user=request.user)
            else:
                payments.reject_payment(
                    payment, reason=form.cleaned_data["reason"], user=request.user
                )
        except BillingError as error:
            self.service_error(form, error)
            return self.render(form=form, status=400)
        messages.success(
            request,
            gettext("Payment %(number)s recorded as rejected: its invoices are to pay again.")
            % {"number": payment.number},
        )
        return redirect(self.inspect_url_name, payment.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["payment"] = self.payment
        context["allocations"] = list(self.payment.allocations.select_related("invoice"))
        return context


class PaymentViewSet(BillingViewSet):
    model = Payment
    name = "family_portal_payments"
    url_prefix = "family-portal/billing/payments"
    icon = "doc-full"
    menu_label = _("Payments")
    actions = ("add", "change", "view")
    index_view_class = PaymentIndexView
    inspect_view_class = PaymentInspectView
    select_related = ["family", "billing_office", "recorded_by"]
    ordering = ["-date", "-pk"]
    list_display = [
        "__str__",
        DateColumn("date", label=pgettext_lazy("family portal", "date")),
        Column("family", label=_("family"), accessor="family.name", sort_key="family__name"),
        Column("billing_office", label=_("régie"), accessor="billing_office.name"),
        Column("method", label=_("payment method"), accessor="get_method_display"),
        Column("amount", label=_("amount"), accessor=lambda p: euros(p.amount)),
        Column("reference", label=_("reference")),
        Column(
            "rejected",
            label=_("rejected"),
            accessor=lambda p: pgettext("family portal", "Rejected") if p.rejected else "",
        ),
    ]
    filterset_class = PaymentFilterSet
    search_fields = ["number", "reference", "family__name"]
    list_export = [
        "number",
        "date",
        "family.name",
        "family.subscriber_code",
        "billing_office.name",
        "get_method_display",
        "amount",
        "reference",
        "allocations",
        "rejected",
        "rejection_reason",
        "recorded_by",
    ]
    export_headings = {
        "number": pgettext_lazy("family portal", "number"),
        "date": pgettext_lazy("family portal", "date"),
        "family.name": _("family"),
        "family.subscriber_code": _("subscriber code"),
        "billing_office.name": _("régie"),
        "get_method_display": _("payment method"),
        "allocations": _("invoices paid"),
    }
    export_filename = "payments"

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(add_url_name=self.get_url_name("add"), **kwargs)

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            reject_url_name=self.get_url_name("reject"), **kwargs
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("record/", self.construct_view(RecordPaymentView), name="add"),
            path("reject/<int:pk>/", self.construct_view(RecordRejectionView), name="reject"),
        ]


# Overdue invoices


class OverdueFilterSet(WagtailFilterSet):
    billing_office = django_filters.ModelChoiceFilter(
        label=_("régie"), queryset=scoped_choices(BillingOffice)
    )
    due_date = django_filters.DateFromToRangeFilter(label=_("due date"), widget=DateRangeInput)

    class Meta:
        model = Invoice
        fields = []


class OverdueIndexView(ScopedIndexView):
    page_title = _("Overdue invoices")

    def get_base_queryset(self):
        return reminders.overdue(super().get_base_queryset())

    def to_row_dict(self, item):
        return export_row(self, item, {"days_overdue": days_overdue})


def days_overdue(invoice) -> int:
    return reminders.days_overdue(invoice)


class OverdueInvoiceViewSet(BillingViewSet):
    """Issued invoices still owing after their due date, oldest first (read-only)."""

    model = Invoice
    name = "family_portal_overdue_invoices"
    url_prefix = "family-portal/billing/overdue-invoices"
    icon = "warning"
    menu_label = _("Overdue invoices")
    own_policy = OverdueInvoicePermissionPolicy
    inspect_view_enabled = False
    index_view_class = OverdueIndexView
    select_related = ["family", "billing_office"]
    ordering = ["due_date", "pk"]
    list_display = [
        Column("number", label=pgettext_lazy("family portal", "number")),
        Column("family", label=_("family"), accessor="family.name", sort_key="family__name"),
        Column("billing_office", label=_("régie"), accessor="billing_office.name"),
        DateColumn("due_date", label=_("due date")),
        Column("days_overdue", label=_("days overdue"), accessor=days_overdue),
        Column("total", label=_("amount"), accessor=lambda i: euros(i.total)),
        Column("balance", label=_("balance"), accessor=lambda i: euros(i.balance)),
        DateColumn("reminded_at", label=_("reminder sent at")),
    ]
    filterset_class = OverdueFilterSet
    search_fields = ["number", "family__name"]
    list_export = [
        "number",
        "family.name",
        "family.subscriber_code",
        "billing_office.name",
        "issue_date",
        "due_date",
        "days_overdue",
        "total",
        "paid_amount",
        "balance",
        "reminded_at",
    ]
    export_headings = {
        "number": pgettext_lazy("family portal", "number"),
        "family.name": _("family"),
        "family.subscriber_code": _("subscriber code"),
        "billing_office.name": _("régie"),
        "days_overdue": _("days overdue"),
        "balance": _("balance"),
    }
    export_filename = "overdue-invoices"

    def register_admin_url_finder(self):
        pass  # an invoice's link is its own screen's (admin/billing.py), not this list

    def register_permissions(self):
        # Only the permissions: the policy of this list is its own, never the one Wagtail
        # would register for every invoice screen.
        hooks.register("register_permissions", self.get_permissions_to_register)


# Direct debit mandates


class MandateFilterSet(WagtailFilterSet):
    billing_office = django_filters.ModelChoiceFilter(
        label=_("régie"), queryset=scoped_choices(BillingOffice)
    )
    active = django_filters.BooleanFilter(
        label=pgettext_lazy("family portal", "active"),
        field_name="revoked_on",
        lookup_expr="isnull",
    )

    class Meta:
        model = DirectDebitMandate
        fields = []


class MandateInspectView(ScopedInspectView):
    template_name = TEMPLATES + "mandate_inspect.html"
    revoke_url_name = None

    def get_fields_context(self):
        mandate = self.object
        rows = [
            (_("mandate reference (RUM)"), mandate.reference),
            (_("family"), mandate.family.name),
            (_("guardian"), mandate.guardian),
            (_("régie"), mandate.billing_office.name),
            (_("signed on"), short_date(mandate.signed_on)),
            (_("account holder"), mandate.account_holder),
            (_("IBAN"), mandate.iban),
            (_("BIC"), mandate.bic),
            (_("revoked on"), short_date(mandate.revoked_on) if mandate.revoked_on else ""),
            (
                _("first debit done"),
                pgettext("family portal", "Yes")
                if mandate.first_debit_done
                else pgettext("family portal", "No"),
            ),
            (_("rejected debits"), str(mandate.rejections)),
        ]
        return [
            {
                "label": capfirst(label),
                "value": EMPTY if value in (None, "") else value,
                "component": None,
            }
            for label, value in rows
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if (
            self.object.revoked_on is None
            and self.revoke_url_name
            and self.permission_policy.user_has_permission(self.request.user, "change")
        ):
            context["revoke_url"] = reverse(self.revoke_url_name, args=[quote(self.object.pk)])
            context["revoke_form"] = RevokeForm()
        return context


class MandateForm(forms.Form):
    guardian = forms.ModelChoiceField(
        label=_("guardian"),
        queryset=None,
        help_text=_("The account debited is the guardian's, as entered in the family file."),
    )
    billing_office = forms.ModelChoiceField(label=_("régie"), queryset=BillingOffice.objects.none())
    signed_on = forms.DateField(label=_("signed on"), widget=DateInput)
    reference = forms.CharField(
        label=_("mandate reference (RUM)"),
        max_length=35,
        required=False,
        help_text=_("Leave empty to number it automatically, e.g. ENF-123-1."),
    )

    def __init__(self, *args, family, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["guardian"]
        field.queryset = family.guardians.order_by("last_name", "first_name", "pk")
        field.label_from_instance = lambda guardian: (
            f"{guardian} — {mask_iban(guardian.iban)}"
            if guardian.iban
            else f"{guardian} — {gettext('no IBAN')}"
        )
        offices = scoped_offices(user).filter(municipality=family.municipality_id)
        self.fields["billing_office"].queryset = offices
        if len(offices) == 1:
            self.fields["billing_office"].initial = offices[0].pk
        self.fields["signed_on"].initial = clock.today()


class CreateMandateView(RecordPaymentView):
    """Sign a mandate for a family: choose the family, then its guardian and the régie."""

    model = DirectDebitMandate
    permission_required = "add"
    template_name = TEMPLATES + "create_mandate.html"
    page_title = _("Sign a direct debit mandate")
    error_fields = {"iban": "guardian", "guardian": "guardian", "signed_on": "signed_on"}
    error_fields |= {"reference": "reference", "family": "billing_office"}

    def get(self, request, *args, **kwargs):
        if self.family is None:
            return self.render(choice_form=FamilyChoiceForm(user=request.user))
        return self.render(form=MandateForm(family=self.family, user=request.user))

    def post(self, request, *args, **kwargs):
        if self.family is None:
            raise Http404
        form = MandateForm(request.POST, family=self.family, user=request.user)
        if not form.is_valid():
            return self.render(form=form, status=400)
        data = form.cleaned_data
        try:
            mandate = sepa.create_mandate(
                self.family,
                data["guardian"],
                data["billing_office"],
                signed_on=data["signed_on"],
                reference=data["reference"] or None,
                user=request.user,
            )
        except BillingError as error:
            self.service_error(form, error)
            return self.render(form=form, status=400)
        messages.success(
            request,
            gettext("Mandate %(reference)s signed for the %(family)s family.")
            % {"reference": mandate.reference, "family": self.family.name},
        )
        return redirect(self.inspect_url_name, mandate.pk)

    def get_context_data(self, **kwargs):
        context = ServiceFormView.get_context_data(self, **kwargs)
        context["family"] = self.family
        context["change_family_url"] = reverse(self.request.resolver_match.view_name)
        return context


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(
        label=_("revoked on"),
        required=False,
        widget=DateInput,
        help_text=_("Today when left empty."),
    )


class RevokeMandateView(PermissionCheckedMixin, View):
    """POST only: revoke a mandate through ``sepa.revoke_mandate``."""

    model = DirectDebitMandate
    permission_required = "change"
    inspect_url_name = None
    http_method_names = ["post"]

    def post(self, request, pk):
        mandate = get_object_or_404(for_agent(DirectDebitMandate.objects, request.user), pk=pk)
        form = RevokeForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Give the date as dd/mm/yyyy."))
            return redirect(self.inspect_url_name, mandate.pk)
        try:
            sepa.revoke_mandate(mandate, on=form.cleaned_data["revoked_on"], user=request.user)
        except BillingError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, gettext("Mandate %(reference)s revoked.") % {"reference": mandate}
            )
        return redirect(self.inspect_url_name, mandate.pk)


class MandateViewSet(BillingViewSet):
    model = DirectDebitMandate
    name = "family_portal_mandates"
    url_prefix = "family-portal/billing/mandates"
    icon = "key"
    menu_label = _("Direct debit mandates")
    actions = ("add", "change", "view")
    inspect_view_class = MandateInspectView
    select_related = ["family", "guardian", "billing_office"]
    list_display = [
        "__str__",
        Column("family", label=_("family"), accessor="family.name", sort_key="family__name"),
        Column("account_holder", label=_("account holder")),
        Column("iban", label=_("IBAN"), accessor=lambda m: mask_iban(m.iban)),
        Column("billing_office", label=_("régie"), accessor="billing_office.name"),
        DateColumn("signed_on", label=_("signed on")),
        DateColumn("revoked_on", label=_("revoked on")),
        Column("rejections", label=_("rejected debits")),
    ]
    filterset_class = MandateFilterSet
    search_fields = ["reference", "family__name", "account_holder"]
    list_export = [
        "reference",
        "family.name",
        "account_holder",
        "billing_office.name",
        "signed_on",
        "revoked_on",
        "rejections",
    ]
    export_filename = "direct-debit-mandates"

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(add_url_name=self.get_url_name("add"), **kwargs)

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            revoke_url_name=self.get_url_name("revoke"), **kwargs
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("new/", self.construct_view(CreateMandateView), name="add"),
            path("revoke/<int:pk>/", self.construct_view(RevokeMandateView), name="revoke"),
        ]


# Direct debit files


class BatchInspectView(ScopedInspectView):
    template_name = TEMPLATES + "batch_inspect.html"
    download_url_name = None
    reject_url_name = None

    def get_fields_context(self):
        batch = self.object
        rows = [
            (_("message identifier"), batch.message_id),
            (_("régie"), batch.billing_office.name),
            (_("billing run"), batch.run),
            (_("collection date"), short_date(batch.collection_date)),
            (_("debits"), str(batch.transaction_count)),
            (_("total"), euros(batch.total_amount)),
            (pgettext_lazy("family portal", "created at"), batch.created_at),
        ]
        return [
            {
                "label": capfirst(label),
                "value": EMPTY if value in (None, "") else value,
                "component": None,
            }
            for label, value in rows
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        may_reject = self.request.user.has_perm("wagtail_family_portal.change_payment")
        rows = []
        for payment in self.object.payments.select_related("family").prefetch_related(
            "allocations__invoice"
        ):
            rows.append(
                {
                    "payment": payment,
                    "amount": euros(payment.amount),
                    "invoices": ", ".join(a.invoice.number for a in payment.allocations.all()),
                    "reject_url": reverse(self.reject_url_name, args=[payment.pk])
                    if may_reject and not payment.rejected and self.reject_url_name
                    else "",
                }
            )
        context["debits"] = rows
        if self.object.file and self.download_url_name:
            context["download_url"] = reverse(self.download_url_name, args=[self.object.pk])
        return context


class BatchDownloadView(PermissionCheckedMixin, View):
    """The pain.008 file, as an attachment, to an agent of the régie's town."""

    model = DirectDebitBatch
    permission_required = "view"

    def get(self, request, pk):
        batch = get_object_or_404(for_agent(DirectDebitBatch.objects, request.user), pk=pk)
        if not batch.file:
            raise Http404
        try:
            handle = batch.file.open("rb")
        except (FileNotFoundError, ValueError) as error:
            raise Http404 from error
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{batch.message_id}.xml",
            content_type="application/xml",
        )
        never_cache(response)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class BatchViewSet(BillingViewSet):
    model = DirectDebitBatch
    name = "family_portal_debit_batches"
    url_prefix = "family-portal/billing/direct-debit-files"
    icon = "download"
    menu_label = _("Direct debit files")
    inspect_view_class = BatchInspectView
    select_related = ["billing_office", "run"]
    list_display = [
        "__str__",
        Column("billing_office", label=_("régie"), accessor="billing_office.name"),
        Column("run", label=_("billing run")),
        DateColumn("collection_date", label=_("collection date")),
        Column("transaction_count", label=_("debits")),
        Column("total_amount", label=_("total"), accessor=lambda b: euros(b.total_amount)),
        DateColumn("created_at", label=pgettext_lazy("family portal", "created at")),
    ]
    list_filter = []
    search_fields = ["message_id"]

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            download_url_name=self.get_url_name("download"),
            reject_url_name=PAYMENT_REJECT_URL_NAME,
            **kwargs,
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("download/<int:pk>/", self.construct_view(BatchDownloadView), name="download"),
        ]


PAYMENT_VIEWSETS = [PaymentViewSet, OverdueInvoiceViewSet, MandateViewSet, BatchViewSet]


def permission_policies():
    """``(model, policy)`` of these screens' models (the overdue list keeps its own policy:
    invoices have the policy of their own screen, admin/billing.py)."""
    yield Payment, PaymentPermissionPolicy(Payment)
    yield DirectDebitMandate, MandatePermissionPolicy(DirectDebitMandate)
    yield DirectDebitBatch, DebitBatchPermissionPolicy(DirectDebitBatch)
