"""Billing runs in the admin: the list, the creation of a run (its drafts computed at once), the
review of a draft (totals, families, warnings, the invoices with their lines), "Recompute",
"Issue" after a confirmation, and the export of a run's lines for the accounting software.

Every change is a call to ``services.billing.runs`` (``create_run``, ``compute``, ``issue``);
a run is never edited nor deleted from the admin. ``change`` is the permission of recomputing
and issuing.
"""

import django_filters
from django.contrib.admin.utils import quote
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin

from ..models import BillingOffice, BillingRun, InvoiceLine
from ..services.billing import BillingError
from .base import (
    EMPTY,
    MunicipalityScopedViewSet,
    ReadOnlyViewSetMixin,
    ScopedIndexView,
    ScopedInspectView,
    detail_fields,
    local_datetime,
    user_name,
)
from .billing_invoices import amount, invoice_url, period_label, short_date
from .policies import PermissionCheckedMixin, policy_for
from .scoping import (
    ListAndDeletePermissionPolicy,
    ListOnlyPermissionPolicy,
    for_agent,
    scoped_choices,
)

RUN_URL_NAME = "family_portal_billing_runs:inspect"
LINES_URL_NAME = "family_portal_invoice_lines:index"
INVOICES_PER_PAGE = 20


class BillingRunPermissionPolicy(ListAndDeletePermissionPolicy):
    """Runs: created (``add``), reviewed (``view``), recomputed and issued (``change``); never
    deleted from the admin (an issued run's invoices are the town's accounts)."""

    read_only_actions = {"delete"}


def run_url(run) -> str:
    return reverse(RUN_URL_NAME, args=[quote(run.pk)])


def lines_export_url(run, export_format: str) -> str:
    return f"{reverse(LINES_URL_NAME)}?{urlencode({'run': run.pk, 'export': export_format})}"


# The list


class BillingRunFilterSet(WagtailFilterSet):
    billing_office = django_filters.ModelChoiceFilter(
        label=_("régie"), queryset=scoped_choices(BillingOffice)
    )

    class Meta:
        model = BillingRun
        fields = ["billing_office", "state"]


class BillingRunIndexView(ScopedIndexView):
    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "label",
                label=pgettext_lazy("family portal", "label"),
                accessor=str,
                get_url=self.get_inspect_url,
            ),
            Column("billing_office", label=_("régie")),
            Column("period", label=_("period"), accessor=period_label, sort_key="period_start"),
            Column("state", label=_("state"), accessor="get_state_display", sort_key="state"),
            Column("invoice_count", label=_("invoices"), sort_key="invoice_count"),
            Column("total_amount", label=_("total"), accessor=lambda run: amount(run.total_amount)),
            Column("warning_count", label=_("warnings"), sort_key="warning_count"),
        ]


# Creating a run


class BillingRunCreateView(generic.CreateView):
    """The régie, the period and a label: ``runs.create_run`` computes the drafts at once, and
    the review of the new run opens."""

    def save_instance(self):
        from ..services.billing import runs

        data = self.form.cleaned_data
        return runs.create_run(
            data["billing_office"],
            data["period_start"],
            data["period_end"],
            user=self.request.user,
            label=data.get("label") or "",
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except BillingError as error:
            form.add_error(None, error.message)
            self.produced_error_message = _("The run was not created: %(message)s") % {
                "message": error.message
            }
            return self.form_invalid(form)

    def get_success_message(self, instance):
        return ngettext(
            "Billing run “%(run)s” computed: %(count)d draft invoice to review.",
            "Billing run “%(run)s” computed: %(count)d draft invoices to review.",
            instance.invoice_count,
        ) % {"run": instance, "count": instance.invoice_count}

    def get_success_buttons(self):
        return []

    def get_success_url(self):
        return run_url(self.object)


# The review


class BillingRunReviewView(ScopedInspectView):
    """A run's figures, its warnings and its invoices (a page at a time, each with its lines);
    "Recompute" and "Issue" while it is a draft, the numbers and links once issued."""

    template_name = "wagtail_family_portal/admin/billing/run_review.html"
    page_title = _("Billing run")
    recompute_url_name = None
    issue_url_name = None

    def get_object(self, queryset=None):
        run = super().get_object(queryset)
        return BillingRun.objects.select_related("billing_office", "created_by", "issued_by").get(
            pk=run.pk
        )

    def get_page_subtitle(self):
        return str(self.object)

    @cached_property
    def may_change(self) -> bool:
        return policy_for(BillingRun).user_has_permission(self.request.user, "change")

    @cached_property
    def may_export(self) -> bool:
        return policy_for(InvoiceLine).user_has_permission(self.request.user, "view")

    def get_fields_context(self):
        run = self.object
        rows = [
            (_("régie"), str(run.billing_office)),
            (_("period"), period_label(run)),
            (_("state"), capfirst(run.get_state_display())),
            (_("created by"), user_name(run.created_by)),
            (_("computed at"), local_datetime(run.computed_at)),
        ]
        if not run.is_draft:
            rows += [
                (_("issue date"), short_date(run.issue_date)),
                (_("due date"), short_date(run.due_date)),
                (_("issued at"), local_datetime(run.issued_at)),
                (_("issued by"), user_name(run.issued_by)),
            ]
        return detail_fields(rows)

    def invoices_page(self):
        invoices = (
            self.object.invoices.all()
            .select_related("family")
            .prefetch_related("lines")
            .order_by("family_name", "pk")
        )
        return Paginator(invoices, INVOICES_PER_PAGE).get_page(self.request.GET.get("p"))

    def get_context_data(self, **kwargs):
        from ..services.billing import runs

        context = super().get_context_data(**kwargs)
        run = self.object
        page = self.invoices_page()
        summary = runs.run_summary(run)
        kinds = dict(InvoiceLine.Kind.choices)
        context.update(
            run=run,
            summary=summary,
            by_activity=[
                {
                    "activity": row["activity_name"] or EMPTY,
                    "kind": kinds.get(row["kind"], row["kind"]),
                    "quantity": row["quantity"],
                    "lines": row["lines"],
                    "amount": amount(row["amount"]),
                }
                for row in summary["by_activity"]
            ],
            page=page,
            invoices=[
                {"invoice": invoice, "url": invoice_url(invoice), "total": amount(invoice.total)}
                for invoice in page
            ],
            total=amount(summary["total"]),
            may_change=self.may_change and run.is_draft,
            recompute_url=reverse(self.recompute_url_name, args=[quote(run.pk)]),
            issue_url=reverse(self.issue_url_name, args=[quote(run.pk)]),
            exports=(
                [
                    (lines_export_url(run, "csv"), _("Export the lines (CSV)")),
                    (lines_export_url(run, "xlsx"), _("Export the lines (XLSX)")),
                ]
                if self.may_export
                else []
            ),
        )
        return context


class RunObjectMixin(PermissionCheckedMixin, BaseObjectMixin):
    """A view about one run of the user's municipalities (another's is a 404)."""

    model = BillingRun
    permission_required = "change"

    def get_base_object_queryset(self):
        return for_agent(BillingRun.objects.select_related("billing_office"), self.request.user)


class RecomputeRunView(RunObjectMixin, View):
    """POST: compute the run's drafts again (after a correction of bookings, presence, QF…)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        from ..services.billing import runs

        try:
            run = runs.compute(self.object, user=request.user)
        except BillingError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Run recomputed: %(count)d draft invoice, %(warnings)d warning(s).",
                    "Run recomputed: %(count)d draft invoices, %(warnings)d warning(s).",
                    run.invoice_count,
                )
                % {"count": run.invoice_count, "warnings": run.warning_count},
            )
        return redirect(run_url(self.object))


class IssueRunView(RunObjectMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET: what issuing does, with the run's figures; POST: issue it (``runs.issue``). A run
    already issued is left as it is, with a message."""

    template_name = "wagtail_family_portal/admin/billing/issue_run.html"
    page_title = _("Issue the billing run")
    header_icon = "doc-full"
    index_url_name = None

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(BillingRun._meta.verbose_name_plural),
            },
            {"url": run_url(self.object), "label": str(self.object)},
            {"url": "", "label": self.get_page_title(), "sublabel": str(self.object)},
        ]

    def already_issued(self):
        messages.warning(
            self.request,
            _("This run was already issued on %(date)s: nothing changed.")
            % {"date": short_date(self.object.issue_date)},
        )
        return redirect(run_url(self.object))

    def get(self, request, *args, **kwargs):
        if not self.object.is_draft:
            return self.already_issued()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            run=self.object, run_url=run_url(self.object), total=amount(self.object.total_amount)
        )
        return context

    def post(self, request, *args, **kwargs):
        from ..services.billing import runs

        if not self.object.is_draft:
            return self.already_issued()
        try:
            run = runs.issue(self.object, user=request.user)
        except BillingError as error:
            messages.error(request, error.message)
            return redirect(run_url(self.object))
        numbers = list(
            run.invoices.exclude(number="").order_by("sequence").values_list("number", flat=True)
        )
        if numbers:
            messages.success(
                request,
                ngettext(
                    "%(count)d invoice issued: %(first)s.",
                    "%(count)d invoices issued, numbered %(first)s to %(last)s.",
                    len(numbers),
                )
                % {"count": len(numbers), "first": numbers[0], "last": numbers[-1]},
            )
        else:
            messages.success(request, _("The run is issued; it had no invoice."))
        return redirect(run_url(run))


# The lines, for the accounting software


class InvoiceLineFilterSet(WagtailFilterSet):
    run = django_filters.ModelChoiceFilter(
        field_name="invoice__run", label=_("billing run"), queryset=scoped_choices(BillingRun)
    )
    billing_office = django_filters.ModelChoiceFilter(
        field_name="invoice__billing_office",
        label=_("régie"),
        queryset=scoped_choices(BillingOffice),
    )

    class Meta:
        model = InvoiceLine
        fields = ["run", "billing_office", "kind"]


class InvoiceLineViewSet(ReadOnlyViewSetMixin, MunicipalityScopedViewSet):
    """Every invoice line, filtered by run or régie, and exported as CSV/XLSX for the
    accounting software."""

    model = InvoiceLine
    name = "family_portal_invoice_lines"
    url_prefix = "family-portal/billing/lines"
    icon = "list-ul"
    menu_label = _("Invoice lines")
    permission_policy_class = ListOnlyPermissionPolicy
    inspect_view_enabled = False
    select_related = [
        "invoice__billing_office",
        "invoice__run__billing_office",
        "invoice__family",
        "activity",
    ]
    filterset_class = InvoiceLineFilterSet
    search_fields = ["child_name", "activity_name", "invoice__number", "invoice__family_name"]
    list_display = [
        Column("invoice", label=pgettext_lazy("family portal", "invoice"), accessor="invoice"),
        Column("family", label=_("family"), accessor="invoice.family_name"),
        "child_name",
        "activity_name",
        Column("kind", label=_("kind"), accessor="get_kind_display"),
        Column("period", label=_("period"), accessor=period_label),
        "quantity",
        "unit_price",
        "amount",
        "basis",
        "warning",
    ]
    list_export = [
        "invoice.number",
        "invoice.get_state_display",
        "invoice.billing_office.code",
        "invoice.run",
        "invoice.family_name",
        "invoice.family.subscriber_code",
        "child_name",
        "activity_name",
        "activity.short_code",
        "get_kind_display",
        "period_start",
        "period_end",
        "quantity",
        "unit_price",
        "amount",
        "basis",
        "warning",
    ]
    export_headings = {
        "invoice.number": pgettext_lazy("family portal", "invoice"),
        "invoice.get_state_display": _("state"),
        "invoice.billing_office.code": _("code of the régie"),
        "invoice.run": _("billing run"),
        "invoice.family_name": _("family"),
        "invoice.family.subscriber_code": _("subscriber code"),
        "activity.short_code": _("short code"),
        "get_kind_display": _("kind"),
    }
    export_filename = "invoice-lines"


# The screen


class BillingRunViewSet(MunicipalityScopedViewSet):
    """The régie's billing runs: create, review, recompute, issue. No edit, delete, history or
    usage view."""

    model = BillingRun
    name = "family_portal_billing_runs"
    url_prefix = "family-portal/billing/runs"
    icon = "calendar-check"
    menu_label = _("Billing runs")
    index_view_class = BillingRunIndexView
    add_view_class = BillingRunCreateView
    inspect_view_class = BillingRunReviewView
    permission_policy_class = BillingRunPermissionPolicy
    select_related = ["billing_office"]
    filterset_class = BillingRunFilterSet
    search_fields = ["label"]
    list_export = [
        "__str__",
        "billing_office",
        "period_start",
        "period_end",
        "get_state_display",
        "invoice_count",
        "total_amount",
        "warning_count",
        "issue_date",
    ]
    export_headings = {
        "__str__": pgettext_lazy("family portal", "label"),
        "get_state_display": _("state"),
    }
    export_filename = "billing-runs"
    panels = [
        FieldPanel("billing_office"),
        FieldRowPanel([FieldPanel("period_start"), FieldPanel("period_end")]),
        FieldPanel("label"),
    ]

    def get_permissions_to_register(self):
        from .base import permissions_to_register

        return permissions_to_register(self.model, ("add", "change", "view"))

    def get_common_view_kwargs(self, **kwargs):
        absent = ("edit", "delete", "history", "usage")
        return super().get_common_view_kwargs(
            **{f"{name}_url_name": None for name in absent},
            recompute_url_name=self.get_url_name("recompute"),
            issue_url_name=self.get_url_name("issue"),
            **kwargs,
        )

    @property
    def recompute_view(self):
        return self.construct_view(RecomputeRunView)

    @property
    def issue_view(self):
        return self.construct_view(IssueRunView, index_url_name=self.get_url_name("index"))

    def get_urlpatterns(self):
        conv = self.pk_path_converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", self.add_view, name="add"),
            path(f"review/<{conv}:pk>/", self.inspect_view, name="inspect"),
            path(f"recompute/<{conv}:pk>/", self.recompute_view, name="recompute"),
            path(f"issue/<{conv}:pk>/", self.issue_view, name="issue"),
        ]

    def register_admin_url_finder(self):
        from wagtail.admin.admin_url_finder import ModelAdminURLFinder, register_admin_url_finder

        finder = type(
            "_RunURLFinder",
            (ModelAdminURLFinder,),
            {
                "edit_url_name": self.get_url_name("inspect"),
                "permission_policy": self.permission_policy,
            },
        )
        register_admin_url_finder(self.model, finder)
