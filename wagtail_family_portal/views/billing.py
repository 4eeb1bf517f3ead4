"""The family's invoices under the portal page ("Mes factures"), their PDF, paying them online,
and the yearly attestation.

- ``invoices``: every issued invoice of the family (number, period, dates, amount, balance,
  status, régie) with its payments; the totals due and the family's credit at the top; "À
  payer" keeps those with a balance; the ones chosen are paid at once (one régie at a time).
- ``invoice_detail``: its lines with their pricing basis, its payments and credit notes, the
  PDF and "Payer".
- ``pay`` starts the payment (``services.billing.online.start_payment``) and sends the family
  to the payment service; ``payment_return`` is where it comes back: the answer is handed to
  ``online.handle_response``, and the page shows the state the database holds, never what the
  return alone says. ``payment_notification`` (a Django URL of ``wagtail_family_portal.urls``,
  no login, no CSRF) receives the service's server-to-server notification.
- ``attestation``: the yearly attestation of a past year, per régie.

Every read is scoped by ``Family.objects.for_account`` and the family of the URL (another
family's invoice is a 404), in a fixed number of queries whatever the number of invoices and
payments. Nothing here changes billing data: ``services.billing`` does.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.db.models import F, Prefetch, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import clock
from ..models import BillingOffice, Family, Invoice, OnlinePayment, Payment, PaymentAllocation
from ..models.billing import ZERO
from ..services.billing import BillingError, attestations, documents, online
from .base import FamilyPages, portal_view

TO_PAY = "a-payer"
NOTIFICATION_URL_NAME = "wagtail_family_portal_payment_notification"


def account_invoices(pages: FamilyPages):
    """The family's invoices the account may see: issued ones, and those a credit note
    cancelled since (a family sees them "annulée"); never a draft
    (``Invoice.objects.for_account``)."""
    return Invoice.objects.for_account(pages.request.user).filter(family=pages.family)


def _valid_allocations():
    return Prefetch(
        "allocations",
        queryset=PaymentAllocation.objects.filter(payment__rejected=False)
        .select_related("payment")
        .order_by("payment__date", "payment__pk"),
        to_attr="valid_allocations",
    )


@dataclass
class Totals:
    due: Decimal = ZERO
    to_pay_count: int = 0
    credit: Decimal = ZERO
    credits: list = field(default_factory=list)  # (régie, amount)


def family_credits(family) -> list[tuple[BillingOffice, Decimal]]:
    """The family's credit at each régie, in one query (``payments.family_credit`` for all)."""
    rows = (
        Payment.objects.valid()
        .filter(family=family)
        .annotate(used=Sum("allocations__amount", default=ZERO))
        .filter(amount__gt=F("used"))
        .select_related("billing_office")
    )
    credits: dict = defaultdict(lambda: ZERO)
    offices = {}
    for payment in rows:
        offices[payment.billing_office_id] = payment.billing_office
        credits[payment.billing_office_id] += payment.amount - payment.used
    return [(offices[pk], amount) for pk, amount in credits.items()]


def _pay_form_context(pages: FamilyPages) -> dict:
    return {"pay_url": pages.url("pay"), "invoices_url": pages.url("invoices")}


@portal_view(family=True)
@require_safe
def invoices(request, pages: FamilyPages):
    """Every issued invoice of the family, newest first, with its payments; "À payer" keeps
    those still owing. Four queries whatever the number of invoices and payments."""
    only_to_pay = request.GET.get("filtre") == TO_PAY
    every = list(
        account_invoices(pages)
        .select_related("billing_office")
        .prefetch_related(_valid_allocations())
        .order_by("-issue_date", "-sequence", "-pk")
    )
    today = clock.today()
    totals = Totals(credits=family_credits(pages.family))
    totals.credit = sum((amount for _office, amount in totals.credits), ZERO)
    for invoice in every:
        invoice.shown_status = invoice.status_on(today)
        invoice.payable = invoice.kind == Invoice.Kind.INVOICE and invoice.balance > 0
        invoice.online = invoice.payable and bool(invoice.billing_office.payment_backend)
        invoice.detail_url = pages.url("invoice_detail", invoice.pk)
        invoice.pdf_url = pages.url("invoice_pdf", invoice.pk)
        if invoice.payable:
            totals.due += invoice.balance
            totals.to_pay_count += 1
    rows = [invoice for invoice in every if invoice.payable] if only_to_pay else every
    return pages.render(
        "billing/invoices.html",
        {
            "invoices": rows,
            "any_invoice": bool(every),
            "only_to_pay": only_to_pay,
            "to_pay_url": pages.url("invoices", query={"filtre": TO_PAY}),
            "totals": totals,
            "any_online": any(invoice.online for invoice in rows),
            "attestations": attestation_links(pages, every),
            **_pay_form_context(pages),
        },
    )


def attestation_links(pages: FamilyPages, invoices) -> list[dict]:
    """Per régie the family has invoices with, the attestations that can be downloaded: last
    year's, and each earlier year of an invoice."""
    today = clock.today()
    years: dict = defaultdict(set)
    offices = {}
    for invoice in invoices:
        offices[invoice.billing_office_id] = invoice.billing_office
        years[invoice.billing_office_id].add(today.year - 1)
        if invoice.issue_date and invoice.issue_date.year < today.year:
            years[invoice.billing_office_id].add(invoice.issue_date.year)
    return [
        {
            "office": offices[pk],
            "years": [
                {"year": year, "url": pages.url("attestation", pk, year)}
                for year in sorted(years[pk], reverse=True)
            ],
        }
        for pk in sorted(offices, key=lambda pk: offices[pk].name)
    ]


def _invoice(pages: FamilyPages, invoice_id, queryset=None) -> Invoice:
    invoice = (queryset or account_invoices(pages)).filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404
    return invoice


@portal_view(family=True)
@require_safe
def invoice_detail(request, pages: FamilyPages, invoice_id):
    """One invoice: its lines and their pricing basis, its payments, its credit notes."""
    invoice = _invoice(
        pages,
        invoice_id,
        account_invoices(pages)
        .select_related("billing_office", "corrects")
        .prefetch_related(
            "lines",
            _valid_allocations(),
            Prefetch(
                "credit_notes",
                queryset=Invoice.objects.issued().order_by("issue_date", "pk"),
                to_attr="issued_credit_notes",
            ),
        ),
    )
    invoice.shown_status = invoice.status
    invoice.payable = invoice.kind == Invoice.Kind.INVOICE and invoice.balance > 0
    invoice.online = invoice.payable and bool(invoice.billing_office.payment_backend)
    for note in invoice.issued_credit_notes:
        note.detail_url = pages.url("invoice_detail", note.pk)
    return pages.render(
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "pdf_url": pages.url("invoice_pdf", invoice.pk),
            "corrected_url": (
                pages.url("invoice_detail", invoice.corrects_id)
                if invoice.corrects_id and invoice.corrects.state != Invoice.State.DRAFT
                else ""
            ),
            **_pay_form_context(pages),
        },
    )


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@portal_view(family=True)
@require_safe
def invoice_pdf(request, pages: FamilyPages, invoice_id):
    """The invoice as PDF, to download."""
    invoice = _invoice(pages, invoice_id, account_invoices(pages).select_related("billing_office"))
    return pdf_response(documents.invoice_pdf(invoice), f"facture-{invoice.number}.pdf")


@portal_view(family=True)
@require_safe
def attestation(request, pages: FamilyPages, office_id, year):
    """The yearly attestation of what the family paid a régie in ``year``: from 1 January of
    the next year, for a régie the family has invoices with."""
    if year not in attestations.available_years(clock.today()):
        raise Http404
    office = (
        BillingOffice.objects.filter(
            pk=office_id, pk__in=account_invoices(pages).values("billing_office_id")
        )
        .select_related("municipality")
        .first()
    )
    if office is None:
        raise Http404
    return pdf_response(
        documents.attestation_pdf(pages.family, office, year),
        f"attestation-{year}-{office.code.lower()}.pdf",
    )


# Paying online


@portal_view(family=True)
@require_POST
def pay(request, pages: FamilyPages):
    """Start paying the chosen invoices and send the family to the payment service."""
    back = request.POST.get("retour") == "detail"
    ids = request.POST.getlist("factures")
    try:
        chosen = online.payable_invoices(pages.family, ids, request.user)
        office = chosen[0].billing_office
        _online_payment, url = online.start_payment(
            family=pages.family,
            invoice_ids=[invoice.pk for invoice in chosen],
            user=request.user,
            return_url=request.build_absolute_uri(pages.url("payment_return", office.pk)),
            notify_url=request.build_absolute_uri(reverse(NOTIFICATION_URL_NAME, args=[office.pk])),
            test_bank_url=_absolute(request, pages.subpage_url("test_bank")),
            form_url=lambda started: pages.url("payment_form", started.pk),
        )
    except BillingError as error:
        if error.code == "not_found":
            raise Http404 from None
        messages.error(request, error.message)
        if back and len(ids) == 1:
            return redirect(pages.url("invoice_detail", ids[0]))
        return redirect(pages.url("invoices"))
    return redirect(url)


def _absolute(request, url):
    return request.build_absolute_uri(url) if url else None


@portal_view(family=True)
@require_safe
def payment_form(request, pages: FamilyPages, online_payment_id):
    """For the services that take a posted form (Systempay, PayZen…): the form, sent on."""
    started = OnlinePayment.objects.filter(
        pk=online_payment_id, family=pages.family, state=OnlinePayment.State.STARTED
    ).first()
    form = online.payment_form(started) if started else None
    if form is None:
        raise Http404
    return pages.render("billing/payment_form.html", {"online_payment": started, "form": form})


@portal_view(family=True)
@require_http_methods(["GET", "HEAD", "POST"])
def payment_return(request, pages: FamilyPages, office_id):
    """Where the payment service sends the family back. The answer is handed to the service
    (logged, and recorded when signed); the page says what the database now holds."""
    office = BillingOffice.objects.filter(
        pk=office_id, municipality=pages.family.municipality
    ).first()
    if office is None:
        raise Http404
    data = request.body if request.method == "POST" else request.META.get("QUERY_STRING", "")
    found = online.handle_response(data, source=online.Source.RETURN, office=office)
    if found is not None and found.family_id != pages.family.pk:
        found = None
    shown = None
    if found is not None:
        shown = OnlinePayment.objects.prefetch_related("invoices").get(pk=found.pk)
    return pages.render(
        "billing/payment_return.html",
        {"online_payment": shown, "invoices_url": pages.url("invoices")},
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def payment_notification(request, office_id):
    """The payment service's server-to-server notification (no session, no CSRF token): the
    answer eopayment expects, 400 when it is about no known payment, 403 when unsigned."""
    office = BillingOffice.objects.filter(pk=office_id).exclude(payment_backend="").first()
    if office is None:
        raise Http404
    data = request.body if request.method == "POST" else request.META.get("QUERY_STRING", "")
    handled = online.handle_answer(data, source=online.Source.NOTIFICATION, office=office)
    status = 200
    if handled.online_payment is None:
        status = 400
    elif handled.outcome == online.Outcome.BAD_SIGNATURE:
        status = 403
    return HttpResponse(
        handled.return_content or ("OK" if status == 200 else "KO"),
        content_type="text/plain; charset=utf-8",
        status=status,
    )


# The entry of the menu


@portal_view(login=True)
@require_safe
def invoices_entry(request, pages):
    """ "Mes factures" of the menu: the family's invoices, or the choice of the family when the
    account has several on this portal."""
    families = list(
        Family.objects.for_account(request.user)
        .on_portal(pages.context["municipality"])
        .order_by("name", "pk")
    )
    if len(families) == 1:
        return redirect(
            pages.base_url + pages.page.reverse_subpage("invoices", args=(families[0].pk,))
        )
    if not families:
        return redirect(pages.base_url)
    choices = [
        {
            "family": family,
            "url": pages.base_url + pages.page.reverse_subpage("invoices", args=(family.pk,)),
        }
        for family in families
    ]
    return pages.render("billing/choose_family.html", {"choices": choices})


def dashboard_dues(user, families) -> dict[int, dict]:
    """What each family of the dashboard still owes: ``{family_id: {"due", "count",
    "overdue"}}``, one query for all."""
    if not families:
        return {}
    today = clock.today()
    dues: dict = {}
    rows = (
        Invoice.objects.for_account(user)
        .to_pay()
        .filter(family__in=[family.pk for family in families])
        .values_list("family_id", "total", "paid_amount", "due_date")
    )
    for family_id, total, paid, due_date in rows:
        entry = dues.setdefault(family_id, {"due": ZERO, "count": 0, "overdue": 0})
        entry["due"] += total - paid
        entry["count"] += 1
        if due_date and due_date < today:
            entry["overdue"] += 1
    return dues


__all__ = [
    "attestation",
    "dashboard_dues",
    "invoice_detail",
    "invoice_pdf",
    "invoices",
    "invoices_entry",
    "pay",
    "payment_form",
    "payment_notification",
    "payment_return",
]
