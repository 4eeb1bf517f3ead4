"""``POST invoices/pay/``: start paying invoices online (``services.billing.online``).

The invoices must all be of one family of the account (another family's id answers 404, as an
unknown one) and of one régie. The family comes back, once it has paid, to the return page of
the portal of its town, which shows the state the database holds; the payment service notifies
the result to the notification address of ``wagtail_family_portal.urls``.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from ...http import portal_page_for_request
from ...models import FamilyPortalPage, Invoice
from ...services.billing import BillingError, online
from ..base import FamilyPortalAPIView
from ..exceptions import NOT_FOUND, ConflictError
from ..openapi import extend_schema
from ..responses import ERROR_401, ERROR_404, ERROR_429, error_answer
from ..serializers.billing_pay import PayAnswerSerializer, PayBodySerializer

NOTIFICATION_URL_NAME = "wagtail_family_portal_payment_notification"
# What the payment service said no to, or what the invoices' state forbids: 409.
CONFLICTS = {"nothing_to_pay", "direct_debit", "no_online_payment", "refused", "not_configured"}


class InvoicePayView(FamilyPortalAPIView):
    """Start paying one or more invoices online: the URL of the payment page."""

    @extend_schema(
        operation_id="invoices_pay_create",
        tags=["invoices"],
        request=PayBodySerializer,
        responses={
            201: PayAnswerSerializer,
            400: error_answer(
                "{invoice_ids: [message]}: no invoice, ids that are not numbers, invoices of "
                "two families or of two régies."
            ),
            401: ERROR_401,
            404: ERROR_404,
            409: error_answer(
                "An invoice has nothing left to pay (or will be debited), or its régie takes "
                "no payment online at the moment."
            ),
            429: ERROR_429,
        },
        examples=[OpenApiExample("Two invoices", request_only=True, value={"invoice_ids": [7, 8]})],
    )
    def post(self, request):
        body = PayBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = body.validated_data["invoice_ids"]
        rows = list(
            Invoice.objects.for_account(request.user)
            .filter(pk__in=ids)
            .values_list("pk", "family_id")
        )
        if len(rows) != len(ids):
            raise NotFound(NOT_FOUND)
        families = {family_id for _pk, family_id in rows}
        if len(families) != 1:
            raise ValidationError({"invoice_ids": [_("Pay the invoices of one family at a time.")]})
        family = (
            Invoice.objects.filter(pk=ids[0]).select_related("family__municipality__site").get()
        ).family
        try:
            chosen = online.payable_invoices(family, ids, request.user)
            office = chosen[0].billing_office
            page = _portal_page(request, family)
            base = request.build_absolute_uri(page.get_url(request))
            started, url = online.start_payment(
                family=family,
                invoice_ids=ids,
                user=request.user,
                return_url=base
                + page.reverse_subpage("payment_return", args=(family.pk, office.pk)),
                notify_url=request.build_absolute_uri(
                    reverse(NOTIFICATION_URL_NAME, args=[office.pk])
                ),
                test_bank_url=base + page.reverse_subpage("test_bank"),
                form_url=lambda payment: (
                    base + page.reverse_subpage("payment_form", args=(family.pk, payment.pk))
                ),
            )
        except BillingError as error:
            raise billing_error(error) from None
        answer = PayAnswerSerializer(
            {"id": started.pk, "payment_url": url, "amount": started.amount, "state": started.state}
        )
        return Response(answer.data, status=status.HTTP_201_CREATED)


def _portal_page(request, family):
    site = family.municipality.site
    page = FamilyPortalPage.for_site(site) if site else None
    return page or portal_page_for_request(request)


def billing_error(error: BillingError) -> Exception:
    """The API exception for an error of the billing service."""
    if error.code == "not_found":
        return NotFound(NOT_FOUND)
    if error.code in CONFLICTS:
        return ConflictError(error.message)
    return ValidationError({"invoice_ids": [error.message]})
