"""Payments: allocation to invoices, balances and statuses, credits, rejections, bad amounts."""

import datetime as dt
from decimal import Decimal

import pytest

from wagtail_family_portal.models import Invoice, Payment
from wagtail_family_portal.services.billing import BillingError, payments

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(office, family, lea, canteen):
    first = factories.issued_invoice(office, family, [(lea, canteen, 10, "3.20")])
    second = factories.issued_invoice(
        office, family, [(lea, canteen, 5, "3.20")], issue_date=dt.date(2026, 12, 2)
    )
    return first, second


def test_numbers_follow_each_other_per_year(invoices):
    assert [invoice.number for invoice in invoices] == ["2026-000001", "2026-000002"]


def test_a_payment_settles_the_oldest_invoice_first(office, family, invoices):
    first, second = invoices
    payment = payments.record_payment(
        office=office,
        family=family,
        method="cheque",
        amount="40.00",
        invoices=[first.pk, second.pk],
        date=dt.date(2026, 12, 10),
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert payment.number == "P2026-000001"
    assert (first.balance, first.status_on(dt.date(2026, 12, 10))) == (Decimal("0.00"), "paid")
    assert second.paid_amount == Decimal("8.00")
    assert second.status_on(dt.date(2026, 12, 10)) == Invoice.Status.PARTIALLY_PAID
    assert second.status_on(dt.date(2027, 2, 1)) == Invoice.Status.OVERDUE


def test_more_than_the_balance_is_refused_unless_recorded_as_a_credit(office, family, invoices):
    first, _second = invoices
    with pytest.raises(BillingError) as refused:
        payments.record_payment(
            office=office, family=family, method="cash", amount="50", invoices=[first.pk]
        )
    assert "crédit" in str(refused.value.message) or refused.value.code == "over_balance"
    assert not Payment.objects.exists()
    payments.record_payment(
        office=office,
        family=family,
        method="cash",
        amount="50",
        invoices=[first.pk],
        allow_credit=True,
    )
    assert payments.family_credit(office, family) == Decimal("18.00")


def test_a_credit_pays_the_next_invoice(office, family, lea, canteen, invoices):
    first, second = invoices
    payments.record_payment(
        office=office,
        family=family,
        method="transfer",
        amount="40",
        invoices=[first.pk],
        allow_credit=True,
    )
    used = payments.use_credit(office, family, [second])
    second.refresh_from_db()
    assert used == Decimal("8.00")
    assert second.balance == Decimal("8.00")
    assert payments.family_credit(office, family) == Decimal("0.00")


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.005", "NaN"])
def test_bad_amounts_are_refused(office, family, invoices, amount):
    with pytest.raises(BillingError):
        payments.record_payment(
            office=office, family=family, method="cash", amount=amount, invoices=[invoices[0].pk]
        )
    assert not Payment.objects.exists()


def test_another_familys_invoice_cannot_be_paid(office, family, neighbour_family, invoices):
    neighbour, _child = neighbour_family
    with pytest.raises(BillingError):
        payments.record_payment(
            office=office, family=neighbour, method="cash", amount="1", invoices=[invoices[0].pk]
        )


def test_a_rejected_payment_owes_again(office, family, invoices):
    first, _second = invoices
    payment = payments.record_payment(
        office=office, family=family, method="direct_debit", amount="32", invoices=[first.pk]
    )
    payments.reject_payment(payment, reason="Provision insuffisante")
    payments.reject_payment(payment, reason="twice")
    first.refresh_from_db()
    assert first.balance == Decimal("32.00")
    payment.refresh_from_db()
    assert payment.rejection_reason == "Provision insuffisante"
