"""The billing office's admin screens: payments (list, export, record, reject), overdue
invoices, direct-debit mandates and files; scoped to the agent's town, behind the billing
permissions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from wagtail_family_portal.models import (
    BillingRun,
    DirectDebitMandate,
    Invoice,
    Payment,
)
from wagtail_family_portal.services.billing import payments, sepa

from . import factories
from .admin_login import login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_now", "private_root")]

BILLING_PERMISSIONS = (
    "view_payment",
    "add_payment",
    "change_payment",
    "view_invoice",
    "view_directdebitmandate",
    "add_directdebitmandate",
    "change_directdebitmandate",
    "view_directdebitbatch",
)
IBAN = "FR1420041010050500013M02606"


@pytest.fixture
def billing_client(client, municipality):
    """A billing agent of ``municipality`` (the billing permissions only)."""
    user = factories.agent_with_only(municipality, "billing", *BILLING_PERMISSIONS)
    return login(client, user)


@pytest.fixture
def invoices(office, family, lea, canteen):
    """Two issued invoices of the Martin family: 32.00 due 31/12, 16.00 due 01/01."""
    return (
        factories.issued_invoice(office, family, [(lea, canteen, 10, "3.20")]),
        factories.issued_invoice(
            office, family, [(lea, canteen, 5, "3.20")], issue_date=dt.date(2026, 12, 2)
        ),
    )


@pytest.fixture
def elsewhere(other_family, other_municipality):
    """A payment, a mandate and a direct-debit file of another town."""
    other_office = factories.BillingOfficeFactory(municipality=other_municipality)
    child = factories.ChildFactory(family=other_family, first_name="Tom")
    activity = factories.ActivityFactory(
        establishment=factories.EstablishmentFactory(municipality=other_municipality)
    )
    invoice = factories.issued_invoice(other_office, other_family, [(child, activity, 1, "5")])
    payment = payments.record_payment(
        office=other_office, family=other_family, method="cash", amount="5", invoices=[invoice.pk]
    )
    guardian = factories.GuardianFactory(family=other_family, iban=IBAN)
    mandate = sepa.create_mandate(
        other_family, guardian, other_office, signed_on=dt.date(2026, 11, 1)
    )
    run = BillingRun.objects.create(
        billing_office=other_office,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        state=BillingRun.State.ISSUED,
    )
    debited = factories.issued_invoice(other_office, other_family, [(child, activity, 2, "5")])
    Invoice.objects.filter(pk=debited.pk).update(
        run=run, direct_debit=True, debit_date=dt.date(2026, 12, 11)
    )
    batch = sepa.batch_for_run(run)
    return {"payment": payment, "mandate": mandate, "batch": batch}


def url(name, *args):
    return reverse(name, args=args)


# Payments


def test_the_list_shows_the_towns_payments_and_filters_them(
    billing_client, office, family, invoices, elsewhere, django_assert_max_num_queries
):
    first, second = invoices
    payments.record_payment(
        office=office,
        family=family,
        method="cheque",
        amount="32",
        invoices=[first.pk],
        reference="CHQ 1234567",
    )
    payments.record_payment(
        office=office, family=family, method="cash", amount="16", invoices=[second.pk]
    )
    with django_assert_max_num_queries(30):
        response = billing_client.get(url("family_portal_payments:index"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "CHQ 1234567" in content and "P2026-000002" in content
    assert elsewhere["payment"].number not in content or "Dupont" not in content
    assert "Dupont" not in content

    cheques = billing_client.get(url("family_portal_payments:index"), {"method": "cheque"})
    assert "CHQ 1234567" in cheques.content.decode()
    assert "P2026-000002" not in cheques.content.decode()


def test_the_export_lists_the_payments_with_their_invoices(
    billing_client, office, family, invoices, elsewhere
):
    first, second = invoices
    payments.record_payment(
        office=office, family=family, method="transfer", amount="48", invoices=[first.pk, second.pk]
    )
    response = billing_client.get(url("family_portal_payments:index"), {"export": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert "2026-000001: 32.00; 2026-000002: 16.00" in text
    assert "Dupont" not in text
    xlsx = billing_client.get(url("family_portal_payments:index"), {"export": "xlsx"})
    assert xlsx.status_code == 200


def test_an_agent_records_a_payment_over_chosen_invoices(billing_client, office, family, invoices):
    first, second = invoices
    chooser = billing_client.get(url("family_portal_payments:add"))
    assert chooser.status_code == 200 and "Martin" in chooser.content.decode()
    form = billing_client.get(url("family_portal_payments:add"), {"family": family.pk})
    assert first.number in form.content.decode() and second.number in form.content.decode()

    response = billing_client.post(
        url("family_portal_payments:add"),
        {
            "family": family.pk,
            "billing_office": office.pk,
            "method": "cheque",
            "date": "2026-12-03",
            "amount": "20,00",
            "reference": "CHQ 42",
            f"pay_{first.pk}": "on",
            f"part_{first.pk}": "12",
            f"pay_{second.pk}": "on",
            f"part_{second.pk}": "8",
        },
    )

    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("family_portal_payments:inspect", payment.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.balance, second.balance) == (Decimal("20.00"), Decimal("8.00"))
    detail = billing_client.get(response["Location"])
    assert detail.status_code == 200
    assert first.number in detail.content.decode()
    assert "Record a rejection" in detail.content.decode()


def test_more_than_the_balance_needs_the_credit_box(billing_client, office, family, invoices):
    first, _second = invoices
    data = {
        "family": family.pk,
        "billing_office": office.pk,
        "method": "cash",
        "date": "2026-12-03",
        "amount": "50",
        f"pay_{first.pk}": "on",
    }
    refused = billing_client.post(url("family_portal_payments:add"), data)
    assert refused.status_code == 400
    assert "credit" in refused.content.decode()
    assert not Payment.objects.exists()

    accepted = billing_client.post(
        url("family_portal_payments:add"), {**data, "allow_credit": "on"}
    )
    assert accepted.status_code == 302
    assert payments.family_credit(office, family) == Decimal("18.00")


def test_a_bad_amount_is_shown_on_the_form(billing_client, office, family, invoices):
    response = billing_client.post(
        url("family_portal_payments:add"),
        {
            "family": family.pk,
            "billing_office": office.pk,
            "method": "cash",
            "date": "2026-12-03",
            "amount": "-3",
            f"pay_{invoices[0].pk}": "on",
        },
    )
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_a_rejection_makes_the_invoice_owe_again(billing_client, office, family, invoices):
    first, _second = invoices
    payment = payments.record_payment(
        office=office, family=family, method="cheque", amount="32", invoices=[first.pk]
    )
    page = billing_client.get(url("family_portal_payments:reject", payment.pk))
    assert page.status_code == 200
    empty = billing_client.post(url("family_portal_payments:reject", payment.pk), {"reason": ""})
    assert empty.status_code == 400

    response = billing_client.post(
        url("family_portal_payments:reject", payment.pk), {"reason": "Chèque sans provision"}
    )

    assert response.status_code == 302
    payment.refresh_from_db()
    first.refresh_from_db()
    assert payment.rejected and payment.rejection_reason == "Chèque sans provision"
    assert first.balance == Decimal("32.00")


def test_another_towns_payment_is_unknown(billing_client, elsewhere):
    payment = elsewhere["payment"]
    assert billing_client.get(url("family_portal_payments:inspect", payment.pk)).status_code == 404
    assert billing_client.get(url("family_portal_payments:reject", payment.pk)).status_code == 404
    posted = billing_client.post(url("family_portal_payments:reject", payment.pk), {"reason": "x"})
    assert posted.status_code == 404
    other_family = payment.family
    assert (
        billing_client.get(
            url("family_portal_payments:add"), {"family": other_family.pk}
        ).status_code
        == 404
    )
    payment.refresh_from_db()
    assert not payment.rejected


def test_the_screens_need_the_billing_permissions(client, municipality, office, family, invoices):
    reader = factories.agent_with_only(municipality, "reader", "view_payment")
    login(client, reader)
    assert client.get(url("family_portal_payments:index")).status_code == 200
    response = client.post(
        url("family_portal_payments:add"),
        {"family": family.pk, "billing_office": office.pk, "method": "cash", "amount": "1"},
    )
    assert response.status_code in (302, 403)
    assert not Payment.objects.exists()
    assert client.get(url("family_portal_overdue_invoices:index")).status_code in (302, 403)
    assert client.get(url("family_portal_debit_batches:index")).status_code in (302, 403)


# Overdue invoices


def test_overdue_invoices_are_listed_with_their_days_overdue(
    billing_client, freeze_clock, office, family, invoices, elsewhere
):
    first, second = invoices
    payments.record_payment(
        office=office, family=family, method="cash", amount="16", invoices=[second.pk]
    )
    freeze_clock(dt.datetime(2027, 1, 10, 9, 0))

    response = billing_client.get(url("family_portal_overdue_invoices:index"))

    content = response.content.decode()
    assert response.status_code == 200
    assert first.number in content and second.number not in content
    assert "Dupont" not in content
    export = billing_client.get(url("family_portal_overdue_invoices:index"), {"export": "csv"})
    text = b"".join(export.streaming_content).decode()
    row = next(line for line in text.splitlines() if first.number in line)
    assert ",10," in row  # due 31 December, ten days ago
    assert "Martin" in row


# Mandates


def test_an_agent_signs_and_revokes_a_mandate(billing_client, office, family):
    guardian = factories.GuardianFactory(family=family, first_name="Claire", iban=IBAN)
    form = billing_client.get(url("family_portal_mandates:add"), {"family": family.pk})
    assert form.status_code == 200 and "2606" in form.content.decode()
    assert IBAN not in form.content.decode()  # masked in the choice

    response = billing_client.post(
        url("family_portal_mandates:add"),
        {
            "family": family.pk,
            "guardian": guardian.pk,
            "billing_office": office.pk,
            "signed_on": "2026-11-20",
        },
    )

    mandate = DirectDebitMandate.objects.get()
    assert response.status_code == 302
    assert mandate.iban == IBAN and mandate.reference == f"{office.code}-{family.pk}-1"
    detail = billing_client.get(url("family_portal_mandates:inspect", mandate.pk))
    assert detail.status_code == 200 and "Revoke" in detail.content.decode()

    billing_client.post(url("family_portal_mandates:revoke", mandate.pk), {"revoked_on": ""})
    mandate.refresh_from_db()
    assert mandate.revoked_on == dt.date(2026, 12, 3)


def test_a_mandate_without_iban_is_refused_on_the_form(billing_client, office, family):
    guardian = factories.GuardianFactory(family=family, first_name="Marc", iban="")
    response = billing_client.post(
        url("family_portal_mandates:add"),
        {
            "family": family.pk,
            "guardian": guardian.pk,
            "billing_office": office.pk,
            "signed_on": "2026-11-20",
        },
    )
    assert response.status_code == 400
    assert "IBAN" in response.content.decode()
    assert not DirectDebitMandate.objects.exists()


def test_another_towns_mandate_is_unknown(billing_client, elsewhere):
    mandate = elsewhere["mandate"]
    assert billing_client.get(url("family_portal_mandates:inspect", mandate.pk)).status_code == 404
    assert billing_client.post(url("family_portal_mandates:revoke", mandate.pk)).status_code == 404
    mandate.refresh_from_db()
    assert mandate.revoked_on is None


# Direct debit files


@pytest.fixture
def batch(office, family, lea, canteen):
    guardian = factories.GuardianFactory(family=family, first_name="Claire", iban=IBAN)
    sepa.create_mandate(family, guardian, office, signed_on=dt.date(2026, 11, 20))
    run = BillingRun.objects.create(
        billing_office=office,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        state=BillingRun.State.ISSUED,
    )
    invoice = factories.issued_invoice(office, family, [(lea, canteen, 10, "3.20")])
    Invoice.objects.filter(pk=invoice.pk).update(
        run=run, direct_debit=True, debit_date=dt.date(2026, 12, 11)
    )
    return sepa.batch_for_run(run)


def test_an_agent_downloads_the_towns_file(billing_client, batch, elsewhere):
    listing = billing_client.get(url("family_portal_debit_batches:index"))
    assert batch.message_id in listing.content.decode()
    assert elsewhere["batch"].message_id not in listing.content.decode()

    response = billing_client.get(url("family_portal_debit_batches:download", batch.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert IBAN.encode() in body and b"32.00" in body


def test_another_towns_file_is_unknown(billing_client, elsewhere):
    other = elsewhere["batch"]
    assert (
        billing_client.get(url("family_portal_debit_batches:download", other.pk)).status_code == 404
    )
    assert (
        billing_client.get(url("family_portal_debit_batches:inspect", other.pk)).status_code == 404
    )


def test_a_family_account_cannot_download_a_file(client, parent, batch):
    client.force_login(parent)
    response = client.get(url("family_portal_debit_batches:download", batch.pk))
    assert response.status_code in (302, 403)


def test_a_rejected_debit_is_recorded_from_the_file(billing_client, batch):
    detail = billing_client.get(url("family_portal_debit_batches:inspect", batch.pk))
    payment = batch.payments.get()
    reject_url = url("family_portal_payments:reject", payment.pk)
    assert reject_url in detail.content.decode()

    billing_client.post(reject_url, {"reason": "AM04 provision insuffisante"})

    mandate = DirectDebitMandate.objects.get()
    invoice = payment.allocations.get().invoice
    invoice.refresh_from_db()
    assert mandate.rejections == 1
    assert invoice.balance == Decimal("32.00")


def test_the_lists_run_a_constant_number_of_queries(
    billing_client, freeze_clock, office, family, lea, canteen, neighbour_family
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    neighbour, zoe = neighbour_family

    def add_paid_and_overdue(target, child):
        paid = factories.issued_invoice(office, target, [(child, canteen, 2, "3.20")])
        payments.record_payment(
            office=office, family=target, method="cash", amount="6.40", invoices=[paid.pk]
        )
        factories.issued_invoice(office, target, [(child, canteen, 1, "3.20")])

    def count(name):
        with CaptureQueriesContext(connection) as queries:
            assert billing_client.get(url(name)).status_code == 200
        return len(queries)

    freeze_clock(dt.datetime(2027, 2, 1, 9, 0))
    add_paid_and_overdue(family, lea)
    few = {name: count(name) for name in PAGES}
    for _ in range(3):
        add_paid_and_overdue(neighbour, zoe)
    assert {name: count(name) for name in PAGES} == few


PAGES = ("family_portal_payments:index", "family_portal_overdue_invoices:index")
