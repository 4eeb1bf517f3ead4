"""API views of "Espace Facturation": a family's invoices, one invoice, its PDF, and the yearly
attestation of what the family paid a régie.

Read-only. Every invoice comes from ``Invoice.objects.for_account`` (the account's families'
invoices, issued or cancelled since by a credit note; never a draft) and every family from
``AccountScopedMixin.account_family``: another family's id answers 404, like an unknown one.
The PDFs are answered as ``application/pdf``; their errors stay JSON.
"""

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes
from rest_framework import negotiation
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from ... import clock
from ...models import BillingOffice, Invoice, InvoiceLine
from ...services.billing import attestations, documents
from ..base import FamilyPortalAPIView, FamilyPortalGenericAPIView
from ..exceptions import NOT_FOUND
from ..openapi import extend_schema
from ..responses import ERROR_401, ERROR_404, ERROR_429, error_answer
from ..scoping import AccountScopedMixin
from ..serializers.billing import (
    FAMILY_STATUSES,
    AttestationQuerySerializer,
    InvoiceDetailSerializer,
    InvoiceListQuerySerializer,
    InvoiceSerializer,
    invoice_queryset,
    status_filter,
)

TAGS = ["billing"]
YEAR_NOT_OVER = _("The attestation of %(year)s is available from 1 January %(next)s.")
NO_SUCH_YEAR = _("There is no attestation for %(year)s.")
NO_INVOICE = _("This family has no invoice: there is no attestation to give.")
CHOOSE_OFFICE = _(
    "This family has invoices from several régies: choose one with ?office= (%(offices)s)."
)
PDF_ANSWER = OpenApiResponse(
    OpenApiTypes.BINARY,
    description="The document, as application/pdf (Content-Disposition gives its file name).",
)


class AnyAcceptedNegotiation(negotiation.DefaultContentNegotiation):
    """The PDF endpoints answer a PDF whatever the client accepts (``Accept: application/pdf``
    included), and their errors in JSON: never a 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    # Quoted and encoded by Django: a régie's code is free text.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class InvoiceScopedMixin(AccountScopedMixin):
    def account_invoice(self, invoice_id, queryset=None) -> Invoice:
        """The account's issued invoice ``invoice_id``, or 404."""
        invoices = queryset if queryset is not None else Invoice.objects.all()
        return get_object_or_404(invoices.for_account(self.request.user), pk=invoice_id)


class FamilyInvoicesView(AccountScopedMixin, FamilyPortalGenericAPIView):
    """The family's issued invoices and credit notes, newest first, with their payments."""

    @extend_schema(
        operation_id="family_invoices_list",
        tags=TAGS,
        description="The invoices and credit notes the municipality's régies issued to the "
        "family, newest first, each with its payments. Amounts are strings with two decimals "
        '("32.00"). The status is that of today in the municipality.',
        parameters=[
            OpenApiParameter(
                "status",
                {"type": "array", "items": {"type": "string", "enum": FAMILY_STATUSES}},
                explode=True,
                description="to_pay: every invoice still to pay (to pay, partially paid or "
                "overdue); partially_paid, paid, overdue, credit_note: that status only. "
                "Repeated or separated by commas.",
            ),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="At most 200."),
        ],
        responses={
            200: InvoiceSerializer(many=True),
            400: error_answer("{status: [message]}: an unknown status."),
            401: ERROR_401,
            404: error_answer(
                "The family is unknown or another family's; or a page after the last."
            ),
            429: ERROR_429,
        },
    )
    def get(self, request, family_id):
        family = self.account_family(family_id)
        query = InvoiceListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = clock.today()
        invoices = Invoice.objects.for_account(request.user).filter(family=family)
        statuses = query.validated_data.get("status")
        if statuses:
            invoices = invoices.filter(status_filter(statuses, today))
        page = self.paginate_queryset(invoice_queryset(invoices))
        data = InvoiceSerializer(page, many=True, context={"today": today}).data
        return self.get_paginated_response(data)


class InvoiceDetailView(InvoiceScopedMixin, FamilyPortalAPIView):
    """One invoice of the account's families: its lines, payments and credit notes."""

    @extend_schema(
        operation_id="invoice_retrieve",
        tags=TAGS,
        description="One invoice (or credit note) with its lines and their pricing basis, its "
        'payments and its credit notes. Amounts are strings with two decimals ("32.00").',
        responses={200: InvoiceDetailSerializer, 401: ERROR_401, 404: ERROR_404, 429: ERROR_429},
    )
    def get(self, request, id):
        invoices = invoice_queryset(Invoice.objects.select_related("corrects")).prefetch_related(
            "credit_notes",
            # The order printed on the invoice.
            Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "pk")),
        )
        invoice = self.account_invoice(id, invoices)
        return Response(InvoiceDetailSerializer(invoice).data)


class PDFView(FamilyPortalAPIView):
    content_negotiation_class = AnyAcceptedNegotiation


class InvoicePDFView(InvoiceScopedMixin, PDFView):
    """The invoice as PDF."""

    @extend_schema(
        operation_id="invoice_pdf_retrieve",
        tags=TAGS,
        responses={
            (200, "application/pdf"): PDF_ANSWER,
            401: ERROR_401,
            404: ERROR_404,
            429: ERROR_429,
        },
    )
    def get(self, request, id):
        invoice = self.account_invoice(
            id, Invoice.objects.select_related("billing_office__municipality")
        )
        return pdf_response(documents.invoice_pdf(invoice), f"{invoice.number}.pdf")


class AttestationPDFView(AccountScopedMixin, PDFView):
    """The yearly attestation of what the family paid a régie, per child (childcare tax credit)."""

    @extend_schema(
        operation_id="family_attestation_pdf_retrieve",
        tags=TAGS,
        description="What the family paid the régie during the calendar year, per child: for "
        "the childcare tax credit. Available once the year is over (from 1 January). One "
        "document per régie: when the family has invoices from several, office chooses one.",
        parameters=[
            OpenApiParameter(
                "office",
                OpenApiTypes.INT,
                description="The régie's id (issuer.id of the invoices); needed only when the "
                "family has invoices from several régies.",
            ),
        ],
        responses={
            (200, "application/pdf"): PDF_ANSWER,
            400: error_answer(
                "{detail}: the year is not over yet (available from 1 January) or is before "
                "2000; the family has invoices from several régies and office is missing; "
                "{office: [message]}: not an id."
            ),
            401: ERROR_401,
            404: error_answer(
                "The family, or the régie of office, is unknown or another family's; or the "
                "family has no invoice."
            ),
            429: ERROR_429,
        },
    )
    def get(self, request, family_id, year):
        family = self.account_family(family_id)
        query = AttestationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = clock.today()
        if year >= today.year:
            raise ValidationError({"detail": YEAR_NOT_OVER % {"year": year, "next": year + 1}})
        if year not in attestations.available_years(today):
            raise ValidationError({"detail": NO_SUCH_YEAR % {"year": year}})
        office = self.family_office(family, query.validated_data.get("office"))
        return pdf_response(
            documents.attestation_pdf(family, office, year), f"attestation-{year}-{office.code}.pdf"
        )

    def family_office(self, family, office_id) -> BillingOffice:
        """The régie of the attestation: ``office_id``, or the only one the family has
        invoices from."""
        offices = list(
            BillingOffice.objects.filter(
                invoices__in=Invoice.objects.for_account(self.request.user).filter(family=family)
            )
            .distinct()
            .order_by("name", "pk")
        )
        if office_id is not None:
            for office in offices:
                if office.pk == office_id:
                    return office
            raise NotFound(NOT_FOUND)
        if not offices:
            raise NotFound(NO_INVOICE)
        if len(offices) > 1:
            choices = ", ".join(f"{office.pk}: {office.name}" for office in offices)
            raise ValidationError({"detail": CHOOSE_OFFICE % {"offices": choices}})
        return offices[0]
