"""Payments: money received, its allocation to invoices, the family's credit, rejections.

A ``Payment`` is split over invoices by ``PaymentAllocation`` rows; each invoice's
``paid_amount`` is the sum of its allocations of payments not rejected, kept up to date here
under a lock of the invoice rows. What a payment does not allocate is the family's credit at
that régie: it is only ever created on purpose (``allow_credit``), and ``use_credit`` spends it
on the family's next invoices (the run's issue calls it).
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ... import clock
from ...models import Invoice, Payment, PaymentAllocation
from ...models.billing import ZERO, money
from . import numbering
from .errors import BillingError


def parse_amount(value) -> Decimal:
    """``value`` (a Decimal, or text with a comma or a dot) as an amount of more than zero
    cents; ``BillingError`` otherwise."""
    try:
        amount = Decimal(str(value).replace(",", ".").replace(" ", "").replace("\u202f", ""))
    except (InvalidOperation, ValueError):
        raise BillingError(_("Give the amount as a number, e.g. 12.50."), "amount") from None
    if not amount.is_finite():
        raise BillingError(_("Give the amount as a number, e.g. 12.50."), "amount")
    if amount != money(amount):
        raise BillingError(_("An amount has at most two decimals (cents)."), "amount")
    if amount <= 0:
        raise BillingError(_("The amount must be more than zero."), "amount")
    return amount


def _locked_invoices(office, family, invoice_ids) -> list[Invoice]:
    invoices = list(
        Invoice.objects.select_for_update(no_key=True)
        .filter(pk__in=invoice_ids, billing_office=office, family=family)
        .order_by("due_date", "sequence", "pk")
    )
    if len(invoices) != len(set(invoice_ids)):
        raise BillingError(_("One of the invoices does not belong to this family."), "invoice")
    for invoice in invoices:
        if invoice.state != Invoice.State.ISSUED or invoice.kind != Invoice.Kind.INVOICE:
            raise BillingError(
                _("Invoice %(number)s cannot be paid: it is not an issued invoice.")
                % {"number": invoice.number or "—"},
                "invoice_state",
            )
    return invoices


def record_payment(
    *,
    office,
    family,
    method: str,
    amount,
    date: dt.date | None = None,
    invoices=None,
    allocations: dict | None = None,
    reference: str = "",
    user=None,
    allow_credit: bool = False,
    debit_batch=None,
) -> Payment:
    """Record ``amount`` received from ``family`` by ``office`` and allocate it.

    ``allocations`` (``{invoice_id: amount}``) says exactly what settles what; otherwise the
    amount settles ``invoices`` (ids) oldest due date first. A payment larger than what the
    chosen invoices still owe is refused unless ``allow_credit``: the rest then becomes the
    family's credit. Locks the invoices, so two payments of one invoice wait for each other.
    """
    amount = parse_amount(amount)
    if method not in Payment.Method.values:
        raise BillingError(_("Unknown payment method."), "method")
    if family.municipality_id != office.municipality_id:
        raise BillingError(_("The family does not belong to the régie's municipality."), "family")
    allocations = {int(k): v for k, v in (allocations or {}).items()}
    invoice_ids = list(allocations) if allocations else [int(pk) for pk in (invoices or [])]
    with transaction.atomic():
        locked = _locked_invoices(office, family, invoice_ids)
        plan = []
        if allocations:
            for invoice in locked:
                part = parse_amount(allocations[invoice.pk])
                if part > invoice.balance:
                    raise BillingError(
                        _("%(amount)s € is more than what invoice %(number)s still owes.")
                        % {"amount": part, "number": invoice.number},
                        "over_balance",
                    )
                plan.append((invoice, part))
        else:
            left = amount
            for invoice in locked:
                part = min(left, invoice.balance)
                if part > 0:
                    plan.append((invoice, part))
                    left -= part
        allocated = sum((part for _invoice, part in plan), ZERO)
        if allocated > amount:
            raise BillingError(
                _("The allocations add up to more than the payment."), "over_payment"
            )
        if allocated < amount and not allow_credit:
            raise BillingError(
                _(
                    "The payment (%(amount)s €) is larger than what the invoices still owe "
                    "(%(owed)s €). Record the rest as a credit for the family, explicitly."
                )
                % {"amount": amount, "owed": allocated},
                "over_balance",
            )
        today = date or clock.today()
        (sequence,) = numbering.take_numbers(office, numbering.Kind.PAYMENT, today.year, 1)
        payment = Payment.objects.create(
            billing_office=office,
            family=family,
            number=numbering.format_number(numbering.Kind.PAYMENT, today.year, sequence),
            method=method,
            date=today,
            amount=amount,
            reference=reference[:100],
            recorded_by=user if user is not None and user.is_authenticated else None,
            debit_batch=debit_batch,
        )
        _allocate(payment, plan)
    return payment


def _allocate(payment: Payment, plan) -> None:
    PaymentAllocation.objects.bulk_create(
        [PaymentAllocation(payment=payment, invoice=invoice, amount=part) for invoice, part in plan]
    )
    for invoice, part in plan:
        Invoice.objects.filter(pk=invoice.pk).update(paid_amount=F("paid_amount") + part)
        invoice.paid_amount += part


def unallocated(payment: Payment) -> Decimal:
    if payment.rejected:
        return ZERO
    used = payment.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    return payment.amount - used


def credit_payments(office, family):
    """The family's payments at ``office`` with money not yet allocated, oldest first."""
    return (
        Payment.objects.valid()
        .filter(billing_office=office, family=family)
        .annotate(used=Sum("allocations__amount", default=ZERO))
        .filter(amount__gt=F("used"))
        .order_by("date", "pk")
    )


def family_credit(office, family) -> Decimal:
    """What ``office`` owes ``family``: the unallocated part of its payments."""
    return sum((p.amount - p.used for p in credit_payments(office, family)), ZERO)


def credits_by_family(office, family_ids) -> dict[int, Decimal]:
    """``family_credit`` of many families in one query: ``{family_id: credit}`` (only those
    with a credit)."""
    rows = (
        Payment.objects.valid()
        .filter(billing_office=office, family_id__in=family_ids)
        .annotate(used=Sum("allocations__amount", default=ZERO))
        .filter(amount__gt=F("used"))
        .values_list("family_id", "amount", "used")
    )
    credits: dict[int, Decimal] = {}
    for family_id, amount, used in rows:
        credits[family_id] = credits.get(family_id, ZERO) + amount - used
    return credits


def use_credit(office, family, invoices) -> Decimal:
    """Spend the family's credit on ``invoices`` (issued, oldest due first); returns what was
    used. Runs inside the caller's transaction (the run's issue)."""
    used_total = ZERO
    targets = [invoice for invoice in invoices if invoice.balance > 0]
    if not targets:
        return ZERO
    # Lock the family's payments first (FOR UPDATE cannot go with the sum's GROUP BY).
    list(
        Payment.objects.select_for_update(no_key=True)
        .filter(billing_office=office, family=family, rejected=False)
        .values_list("pk", flat=True)
    )
    for payment in credit_payments(office, family):
        left = payment.amount - payment.used
        plan = []
        for invoice in targets:
            part = min(left, invoice.balance)
            if part > 0:
                plan.append((invoice, part))
                left -= part
            if left <= 0:
                break
        if plan:
            existing = set(
                PaymentAllocation.objects.filter(
                    payment=payment, invoice__in=[i for i, _p in plan]
                ).values_list("invoice_id", flat=True)
            )
            fresh = [(i, p) for i, p in plan if i.pk not in existing]
            _allocate(payment, fresh)
            used_total += sum((p for _i, p in fresh), ZERO)
        targets = [invoice for invoice in targets if invoice.balance > 0]
        if not targets:
            break
    return used_total


def reject_payment(payment: Payment, *, reason: str, user=None) -> Payment:
    """A payment that did not go through (a rejected direct debit, a bounced cheque): its
    allocations stop counting and the invoices owe again. Rejecting twice changes nothing."""
    if not reason.strip():
        raise BillingError(_("Say why the payment was rejected."), "reason")
    with transaction.atomic():
        payment = Payment.objects.select_for_update(no_key=True).get(pk=payment.pk)
        if payment.rejected:
            return payment
        allocations = list(payment.allocations.select_related("invoice"))
        invoices = Invoice.objects.select_for_update(no_key=True).filter(
            pk__in=[a.invoice_id for a in allocations]
        )
        list(invoices)
        for allocation in allocations:
            Invoice.objects.filter(pk=allocation.invoice_id).update(
                paid_amount=F("paid_amount") - allocation.amount
            )
        payment.rejected = True
        payment.rejected_at = timezone.now()
        payment.rejection_reason = reason.strip()[:200]
        payment.save(update_fields=["rejected", "rejected_at", "rejection_reason"])
        if payment.method == Payment.Method.DIRECT_DEBIT:
            from ...models import DirectDebitMandate

            DirectDebitMandate.objects.filter(
                family=payment.family, billing_office=payment.billing_office
            ).active().update(rejections=F("rejections") + 1)
    return payment
