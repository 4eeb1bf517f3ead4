"""Bodies of the billing API ("Espace Facturation"): a family's invoices with their payments, one
invoice with its lines and credit notes, and the query strings of the list and the attestation.

Amounts are strings with two decimals ("32.00", DRF's ``DecimalField`` as the API renders it),
never floats: a client adds them as decimals. The status is computed on the town's today
(``Invoice.status``): to_pay, partially_paid, paid, overdue, credit_note (drafts and cancelled
invoices are never shown to a family).

The list reads its invoices in a constant number of queries (:func:`invoice_queryset`): the
régie with the invoice, every payment of the page in one prefetch.
"""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ... import clock
from ...models import Invoice, InvoiceLine, PaymentAllocation
from ...models.billing import Payment
from .fields import MAX_ID

Status = Invoice.Status
# ``?status=to_pay`` is what the family still has to pay, whether late or partly paid.
TO_PAY_GROUP = (Status.TO_PAY, Status.PARTIALLY_PAID, Status.OVERDUE)
# The statuses an invoice a family sees can have (never draft nor cancelled).
FAMILY_STATUSES = [
    Status.TO_PAY,
    Status.PARTIALLY_PAID,
    Status.PAID,
    Status.OVERDUE,
    Status.CREDIT_NOTE,
]
AMOUNT_HELP = 'An amount in euros: a string with two decimals, e.g. "32.00".'


def amount_field(help_text=AMOUNT_HELP, **kwargs):
    """An amount as the API writes it: a string with two decimals (DRF's default)."""
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=True, help_text=help_text, **kwargs
    )


# Reading


def invoice_queryset(queryset):
    """``queryset`` (invoices a family may see) with what the list and the detail show: the
    régie, and the payments not rejected (oldest first) in one prefetch."""
    allocations = (
        PaymentAllocation.objects.filter(payment__rejected=False)
        .select_related("payment")
        .order_by("payment__date", "payment__pk")
    )
    return queryset.select_related("billing_office").prefetch_related(
        Prefetch("allocations", queryset=allocations, to_attr="valid_allocations")
    )


def status_filter(statuses, today) -> Q:
    """The invoices whose ``Invoice.status_on(today)`` is one of ``statuses``, as a query
    (``Invoice.status_query``), so that the list filters before it paginates."""
    query = Q(pk__in=[])
    for status in statuses:
        query |= Invoice.status_query(status, today)
    return query


# The family's invoices


class IssuerSerializer(serializers.Serializer):
    """The régie that issued the invoice and receives its payments."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()


class InvoicePaymentSerializer(serializers.Serializer):
    """A payment that settled (part of) the invoice."""

    number = serializers.CharField()
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    method_label = serializers.CharField(help_text=_("The payment method, in words."))
    date = serializers.DateField()
    amount = amount_field("What this payment settled of this invoice. " + AMOUNT_HELP)
    payment_amount = amount_field(
        "The whole payment, which may have settled other invoices too. " + AMOUNT_HELP
    )


def invoice_payments(invoice) -> list[dict]:
    """The payments of ``invoice`` (of :func:`invoice_queryset`), oldest first."""
    return [
        {
            "number": allocation.payment.number,
            "method": allocation.payment.method,
            "method_label": allocation.payment.get_method_display(),
            "date": allocation.payment.date,
            "amount": allocation.amount,
            "payment_amount": allocation.payment.amount,
        }
        for allocation in invoice.valid_allocations
    ]


class InvoiceSerializer(serializers.Serializer):
    """One invoice (or credit note) in the family's list."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=Invoice.Kind.choices)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    issue_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    amount = amount_field("The invoice's total. " + AMOUNT_HELP, source="total")
    balance = amount_field("What is still to pay (0.00 once paid). " + AMOUNT_HELP)
    status = serializers.ChoiceField(
        choices=Invoice.Status.choices,
        source="family_status",
        help_text=_(
            "to_pay, partially_paid, paid, overdue (the due date has passed) or credit_note."
        ),
    )
    status_label = serializers.SerializerMethodField(help_text=_("The status, in words."))
    issuer = IssuerSerializer(source="billing_office")
    direct_debit = serializers.BooleanField(
        help_text=_("Paid by direct debit (on debit_date): nothing to pay online.")
    )
    debit_date = serializers.DateField(allow_null=True)
    payments = serializers.SerializerMethodField()

    @extend_schema_field(InvoicePaymentSerializer(many=True))
    def get_payments(self, invoice) -> list[dict]:
        return InvoicePaymentSerializer(invoice_payments(invoice), many=True).data

    def get_status_label(self, invoice) -> str:
        return str(Status(invoice.family_status).label)

    def to_representation(self, invoice):
        # The status on the town's today, read once for the whole list.
        if "today" not in self.context:
            self.context["today"] = clock.today()
        invoice.family_status = invoice.status_on(self.context["today"])
        return super().to_representation(invoice)


# One invoice


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text=_("Empty when it no longer exists; the name stays.")
    )
    name = serializers.CharField()


class InvoiceLineSerializer(serializers.Serializer):
    """A line: a child's days (or month) of an activity at one price."""

    child = serializers.SerializerMethodField()
    activity = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=InvoiceLine.Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=8, decimal_places=2)
    unit_price = amount_field()
    amount = amount_field()
    basis = serializers.CharField(help_text=_("The pricing basis, e.g. QF 620 → tranche 2."))

    @extend_schema_field(NamedSerializer)
    def get_child(self, line) -> dict:
        return {"id": line.child_id, "name": line.child_name}

    @extend_schema_field(NamedSerializer)
    def get_activity(self, line) -> dict:
        return {"id": line.activity_id, "name": line.activity_name}


class CreditNoteSerializer(serializers.Serializer):
    """A credit note that corrects the invoice."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    issue_date = serializers.DateField()
    amount = amount_field(source="total")
    reason = serializers.CharField()


class CorrectedInvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class InvoiceDetailSerializer(InvoiceSerializer):
    """One invoice: what the list shows, its lines, and its credit notes (or, for a credit note,
    the invoice it corrects)."""

    family_id = serializers.IntegerField()
    addressee = serializers.CharField()
    lines = InvoiceLineSerializer(many=True, source="lines.all")
    credit_notes = serializers.SerializerMethodField()
    corrects = serializers.SerializerMethodField(
        help_text=_("A credit note: the invoice it corrects.")
    )

    @extend_schema_field(CreditNoteSerializer(many=True))
    def get_credit_notes(self, invoice) -> list[dict]:
        notes = [note for note in invoice.credit_notes.all() if note.state == Invoice.State.ISSUED]
        return CreditNoteSerializer(notes, many=True).data

    @extend_schema_field(CorrectedInvoiceSerializer(allow_null=True))
    def get_corrects(self, invoice) -> dict | None:
        corrected = invoice.corrects
        if corrected is None or corrected.state != Invoice.State.ISSUED:
            return None
        return {"id": corrected.pk, "number": corrected.number}


# Query strings


class InvoiceListQuerySerializer(serializers.Serializer):
    status = serializers.MultipleChoiceField(
        choices=[status.value for status in FAMILY_STATUSES],
        required=False,
    )

    def to_internal_value(self, data):
        # ``?status=paid,overdue`` as well as ``?status=paid&status=overdue``.
        if hasattr(data, "getlist"):
            data = data.copy()
            values = [v.strip() for value in data.getlist("status") for v in value.split(",")]
            data.setlist("status", [value for value in values if value])
        return super().to_internal_value(data)

    def validate_status(self, statuses) -> set[str]:
        """``to_pay`` stands for every status still to pay."""
        if Status.TO_PAY in statuses:
            statuses = (set(statuses) - {Status.TO_PAY}) | set(TO_PAY_GROUP)
        return set(statuses)


class AttestationQuerySerializer(serializers.Serializer):
    office = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=_("The régie, when the family has invoices from several."),
    )
