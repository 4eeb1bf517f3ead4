"""Invoices in the admin: the list (filters, CSV/XLSX export), a read-only detail (lines,
payments, credit notes, the PDF) and the credit note, the one correction of an issued invoice.

An invoice is never edited nor deleted here: the screen has no add, edit or delete view (a POST
to such an address finds nothing), and its permission policy refuses those actions. ``change``
is the permission of making a credit note, which ``services.billing.runs.credit_note`` does.
"""

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.formats import date_format, number_format
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views import View
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin

from .. import clock
from ..models import BillingOffice, BillingRun, Family, Invoice, PaymentAllocation
from ..services.billing import BillingError
from .base import (
    EMPTY,
    MunicipalityScopedViewSet,
    ReadOnlyViewSetMixin,
    ScopedIndexView,
    ScopedInspectView,
    detail_fields,
    local_datetime,
)
from .policies import PermissionCheckedMixin, policy_for
from .scoping import ViewAndChangePermissionPolicy, for_agent, scoped_choices

INVOICE_URL_NAME = "family_portal_invoices:inspect"
RUN_URL_NAME = "family_portal_billing_runs:inspect"

Status = Invoice.Status


class InvoicePermissionPolicy(ViewAndChangePermissionPolicy):
    """Invoices: listed and read (``view``); ``change`` makes a credit note. Never added nor
    deleted from the admin: runs create them, and an issued invoice is immutable."""


def invoice_url(invoice) -> str:
    return reverse(INVOICE_URL_NAME, args=[quote(invoice.pk)])


def amount(value) -> str:
    """An amount as agents read it, with the currency: "1 234,50 €"."""
    if value is None:
        return EMPTY
    return f"{number_format(value, 2, force_grouping=True)} €"


def short_date(value) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else EMPTY


def period_label(obj) -> str:
    return f"{short_date(obj.period_start)} – {short_date(obj.period_end)}"


# The list


class InvoiceFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=pgettext_lazy("family portal", "status"),
        choices=Status.choices,
        empty_label=pgettext_lazy("family portal", "All"),
        method="filter_status",
    )
    billing_office = django_filters.ModelChoiceFilter(
        label=_("régie"), queryset=scoped_choices(BillingOffice)
    )
    run = django_filters.ModelChoiceFilter(
        label=_("billing run"), queryset=scoped_choices(BillingRun)
    )
    family = django_filters.ModelChoiceFilter(label=_("family"), queryset=scoped_choices(Family))

    class Meta:
        model = Invoice
        fields = ["status", "billing_office", "run", "family", "kind"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(Invoice.status_query(value, clock.today())) if value else queryset


class InvoiceIndexView(ScopedIndexView):
    default_ordering = "-issue_date"

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "number",
                label=pgettext_lazy("family portal", "number"),
                accessor=str,
                get_url=self.get_inspect_url,
                sort_key="sequence",
            ),
            Column("family_name", label=_("family"), sort_key="family_name"),
            Column("billing_office", label=_("régie")),
            Column("period", label=_("period"), accessor=period_label, sort_key="period_start"),
            DateColumn("issue_date", label=_("issue date"), sort_key="issue_date"),
            DateColumn("due_date", label=_("due date"), sort_key="due_date"),
            Column("total", label=_("amount"), accessor=lambda i: amount(i.total)),
            Column("balance", label=_("balance"), accessor=lambda i: amount(i.balance)),
            Column(
                "status", label=pgettext_lazy("family portal", "status"), accessor="status_label"
            ),
        ]


# One invoice


class InvoiceDetailView(ScopedInspectView):
    """Everything about one invoice, read-only: its lines with their pricing basis, the
    payments that settle it, its credit notes, the PDF, and the "Credit note" action."""

    template_name = "wagtail_family_portal/admin/billing/invoice_detail.html"
    page_title = pgettext_lazy("family portal", "Invoice")
    pdf_url_name = None
    credit_note_url_name = None

    def get_object(self, queryset=None):
        invoice = super().get_object(queryset)
        return Invoice.objects.select_related("billing_office", "run", "family", "corrects").get(
            pk=invoice.pk
        )

    def get_page_subtitle(self):
        return str(self.object)

    def may_credit(self) -> bool:
        invoice = self.object
        return (
            invoice.state == Invoice.State.ISSUED
            and invoice.kind == Invoice.Kind.INVOICE
            and policy_for(Invoice).user_has_permission(self.request.user, "change")
        )

    def get_fields_context(self):
        invoice = self.object
        rows = [
            (_("kind"), capfirst(invoice.get_kind_display())),
            (pgettext_lazy("family portal", "status"), capfirst(invoice.status_label)),
            (_("régie"), str(invoice.billing_office)),
            (_("family"), invoice.family_name or str(invoice.family)),
            (_("addressee"), invoice.addressee),
            (_("address"), invoice.address),
            (_("period"), period_label(invoice)),
            (_("issue date"), short_date(invoice.issue_date)),
            (_("due date"), short_date(invoice.due_date)),
            (_("amount"), amount(invoice.total)),
            (_("paid"), amount(invoice.paid_amount)),
            (_("balance"), amount(invoice.balance)),
        ]
        if invoice.family_quotient is not None:
            quotient = f"{invoice.family_quotient} ({invoice.quotient_year or EMPTY})"
            rows.append((_("family quotient (QF)"), quotient))
        if invoice.direct_debit:
            rows.append((_("direct debit date"), short_date(invoice.debit_date)))
        if invoice.reason:
            rows.append((_("reason"), invoice.reason))
        if invoice.issued_at:
            rows.append((_("issued at"), local_datetime(invoice.issued_at)))
        return detail_fields(rows)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invoice, user = self.object, self.request.user
        finder = AdminURLFinder(user)
        allocations = (
            PaymentAllocation.objects.filter(invoice=invoice)
            .select_related("payment")
            .order_by("payment__date", "pk")
        )
        credit_notes = for_agent(invoice.credit_notes.all(), user).order_by("issue_date", "pk")
        context.update(
            invoice=invoice,
            lines=invoice.lines.all(),
            allocations=allocations,
            credit_notes=[(note, invoice_url(note), amount(note.total)) for note in credit_notes],
            corrects_url=invoice_url(invoice.corrects) if invoice.corrects_id else "",
            run_url=self.run_url(),
            family_url=finder.get_edit_url(invoice.family),
            warnings=invoice.warnings or [],
            pdf_url=(
                reverse(self.pdf_url_name, args=[quote(invoice.pk)]) if invoice.is_issued else ""
            ),
            credit_note_url=(
                reverse(self.credit_note_url_name, args=[quote(invoice.pk)])
                if self.may_credit()
                else ""
            ),
        )
        return context

    def run_url(self) -> str:
        run = self.object.run
        if run is None or not policy_for(BillingRun).user_has_permission(self.request.user, "view"):
            return ""
        return reverse(RUN_URL_NAME, args=[quote(run.pk)])


class InvoiceObjectMixin(PermissionCheckedMixin, BaseObjectMixin):
    """A view about one invoice of the user's municipalities (another's is a 404)."""

    model = Invoice

    def get_base_object_queryset(self):
        return for_agent(Invoice.objects.select_related("billing_office"), self.request.user)


class InvoicePdfView(InvoiceObjectMixin, View):
    """The invoice as PDF (an issued one: a draft has no number yet)."""

    permission_required = "view"

    def get(self, request, *args, **kwargs):
        from ..pdf import render_invoice

        invoice = self.object
        if not invoice.is_issued:
            raise Http404
        response = HttpResponse(render_invoice(invoice), content_type="application/pdf")
        filename = f"{invoice.number or invoice.pk}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class CreditNoteForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount (optional)"),
        required=False,
        help_text=_("Leave it empty to credit the whole amount still due, e.g. 12.50."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Printed on the credit note, e.g. a meal billed twice."),
    )

    def clean_amount(self):
        from ..services.billing import payments

        value = (self.cleaned_data.get("amount") or "").strip()
        if not value:
            return None
        try:
            return payments.parse_amount(value)
        except BillingError as error:
            raise forms.ValidationError(error.message, code=error.code) from None


class CreditNoteView(InvoiceObjectMixin, WagtailAdminTemplateMixin, FormView):
    """GET: the credit note's form; POST: make the credit note (``runs.credit_note``)."""

    permission_required = "change"
    form_class = CreditNoteForm
    template_name = "wagtail_family_portal/admin/billing/credit_note.html"
    page_title = _("Credit note")
    header_icon = "resubmit"
    index_url_name = None
    # The field of the form each of the service's refusals is about (others: the whole form).
    error_fields = {"amount": "amount", "over_total": "amount", "reason": "reason"}

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(Invoice._meta.verbose_name_plural),
            },
            {"url": invoice_url(self.object), "label": str(self.object)},
            {"url": "", "label": self.get_page_title(), "sublabel": str(self.object)},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            invoice=self.object,
            invoice_url=invoice_url(self.object),
            balance=amount(self.object.balance),
        )
        return context

    def form_valid(self, form):
        from ..services.billing import runs

        try:
            note = runs.credit_note(
                self.object,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                user=self.request.user,
            )
        except BillingError as error:
            form.add_error(self.error_fields.get(error.code), error.message)
            messages.error(
                self.request,
                _("The credit note was not made: %(message)s") % {"message": error.message},
            )
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(
            self.request,
            _("Credit note %(number)s of %(amount)s made for invoice %(invoice)s.")
            % {"number": note.number, "amount": amount(note.total), "invoice": self.object},
        )
        return redirect(invoice_url(self.object))

    def form_invalid(self, form):
        messages.error(self.request, _("The credit note was not made: correct the form."))
        return self.render_to_response(self.get_context_data(form=form), status=400)


# The screen


class InvoiceViewSet(ReadOnlyViewSetMixin, MunicipalityScopedViewSet):
    """The régie's invoices and credit notes: read-only, corrected by credit notes."""

    model = Invoice
    name = "family_portal_invoices"
    url_prefix = "family-portal/billing/invoices"
    icon = "doc-full"
    menu_label = _("Invoices")
    index_view_class = InvoiceIndexView
    inspect_view_class = InvoiceDetailView
    permission_policy_class = InvoicePermissionPolicy
    actions = ("view", "change")
    select_related = ["billing_office", "run__billing_office"]
    filterset_class = InvoiceFilterSet
    search_fields = ["number", "family_name", "addressee"]
    list_export = [
        "number",
        "get_kind_display",
        "status_label",
        "billing_office",
        "billing_office.code",
        "run",
        "family_name",
        "family.subscriber_code",
        "addressee",
        "period_start",
        "period_end",
        "issue_date",
        "due_date",
        "total",
        "paid_amount",
        "balance",
        "direct_debit",
        "debit_date",
        "corrects",
        "reason",
    ]
    export_headings = {
        "get_kind_display": _("kind"),
        "status_label": pgettext_lazy("family portal", "status"),
        "billing_office.code": _("code of the régie"),
        "family.subscriber_code": _("subscriber code"),
        "balance": _("balance"),
        "corrects": _("corrected invoice"),
    }
    export_filename = "invoices"

    def get_index_view_kwargs(self, **kwargs):
        kwargs = super().get_index_view_kwargs(**kwargs)
        kwargs["queryset"] = kwargs["queryset"].select_related("family", "corrects")
        return kwargs

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            pdf_url_name=self.get_url_name("pdf"),
            credit_note_url_name=self.get_url_name("credit_note"),
            **kwargs,
        )

    @property
    def pdf_view(self):
        return self.construct_view(InvoicePdfView)

    @property
    def credit_note_view(self):
        return self.construct_view(CreditNoteView, index_url_name=self.get_url_name("index"))

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("pdf/<int:pk>/", self.pdf_view, name="pdf"),
            path("credit-note/<int:pk>/", self.credit_note_view, name="credit_note"),
        ]
