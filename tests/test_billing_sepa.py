"""SEPA direct debit: mandates, the pain.008 file of a run (validated against its XSD), FRST
then RCUR, idempotency, rejected debits."""

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from wagtail_family_portal import tasks
from wagtail_family_portal.models import (
    BillingRun,
    DirectDebitBatch,
    DirectDebitMandate,
    Invoice,
    Payment,
)
from wagtail_family_portal.services.billing import BillingError, sepa

from . import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_now", "private_root")]

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
CLAIRE_IBAN = "FR1420041010050500013M02606"
DURAND_IBAN = "DE89370400440532013000"


@pytest.fixture
def claire(family):
    return factories.GuardianFactory(
        family=family, first_name="Claire", iban=CLAIRE_IBAN, bic="PSSTFRPPXXX"
    )


@pytest.fixture
def durand(neighbour_family):
    neighbour, _child = neighbour_family
    guardian = factories.GuardianFactory(
        family=neighbour, first_name="Paul", iban=DURAND_IBAN, account_holder="Paul Durand"
    )
    return neighbour, guardian


def issued_run(office, period=(dt.date(2026, 11, 1), dt.date(2026, 11, 30))):
    return BillingRun.objects.create(
        billing_office=office,
        period_start=period[0],
        period_end=period[1],
        state=BillingRun.State.ISSUED,
        issue_date=dt.date(2026, 12, 1),
    )


def debited_invoice(office, family, child, activity, run, quantity, price="3.20"):
    invoice = factories.issued_invoice(
        office,
        family,
        [(child, activity, quantity, price)],
        period=(run.period_start, run.period_end),
    )
    # As the run's issue marks them (an issued invoice is frozen: no save()).
    Invoice.objects.filter(pk=invoice.pk).update(
        run=run, direct_debit=True, debit_date=dt.date(2026, 12, 11)
    )
    invoice.refresh_from_db()
    return invoice


def transactions(batch):
    with batch.file.open("rb") as handle:
        tree = etree.fromstring(handle.read())
    rows = []
    for info in tree.iterfind(".//p:PmtInf", NS):
        sequence = info.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS)
        for tx in info.iterfind("p:DrctDbtTxInf", NS):
            rows.append(
                {
                    "sequence": sequence,
                    "date": info.findtext("p:ReqdColltnDt", namespaces=NS),
                    "amount": tx.findtext("p:InstdAmt", namespaces=NS),
                    "mandate": tx.findtext(".//p:MndtId", namespaces=NS),
                    "iban": tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
                    "name": tx.findtext("p:Dbtr/p:Nm", namespaces=NS),
                }
            )
    return tree, sorted(rows, key=lambda row: row["amount"])


# Mandates


def test_a_mandate_copies_the_guardians_account_and_gets_a_unique_reference(
    office, family, claire, agent
):
    mandate = sepa.create_mandate(
        family, claire, office, signed_on=dt.date(2026, 11, 20), user=agent
    )

    assert mandate.reference == f"{office.code}-{family.pk}-1"
    assert (mandate.iban, mandate.bic) == (CLAIRE_IBAN, "PSSTFRPPXXX")
    assert mandate.account_holder == "Claire Martin"
    # The file changes afterwards: the mandate keeps what was signed.
    claire.iban = ""
    claire.save()
    mandate.refresh_from_db()
    assert mandate.iban == CLAIRE_IBAN

    sepa.revoke_mandate(mandate, on=dt.date(2026, 12, 1), user=agent)
    second = sepa.create_mandate(
        family, claire_with_iban(claire), office, signed_on=dt.date(2026, 12, 2)
    )
    assert second.reference == f"{office.code}-{family.pk}-2"


def claire_with_iban(claire):
    claire.iban = CLAIRE_IBAN
    claire.save()
    return claire


def test_a_mandate_without_iban_is_refused(office, family):
    guardian = factories.GuardianFactory(family=family, first_name="Marc", iban="")
    with pytest.raises(BillingError) as refused:
        sepa.create_mandate(family, guardian, office, signed_on=dt.date(2026, 11, 20))
    assert refused.value.code == "iban"
    assert "IBAN" in str(refused.value)
    assert not DirectDebitMandate.objects.exists()


@pytest.mark.parametrize(
    "case", ["future", "other_family", "second_active", "reference_taken", "other_town"]
)
def test_bad_mandates_are_refused(office, family, claire, durand, other_municipality, case):
    neighbour, paul = durand
    sepa.create_mandate(neighbour, paul, office, signed_on=dt.date(2026, 11, 2), reference="RUM-1")
    kwargs = {"signed_on": dt.date(2026, 11, 20)}
    target_family, guardian, target_office = family, claire, office
    if case == "future":
        kwargs["signed_on"] = dt.date(2027, 1, 1)
    elif case == "other_family":
        guardian = paul
    elif case == "second_active":
        target_family, guardian = neighbour, paul
    elif case == "reference_taken":
        kwargs["reference"] = "RUM-1"
    else:
        target_office = factories.BillingOfficeFactory(municipality=other_municipality)
    with pytest.raises(BillingError):
        sepa.create_mandate(target_family, guardian, target_office, **kwargs)
    assert DirectDebitMandate.objects.count() == 1


def test_a_revoked_mandate_stays_revoked_on_its_first_date(office, family, claire):
    mandate = sepa.create_mandate(family, claire, office, signed_on=dt.date(2026, 11, 20))
    with pytest.raises(BillingError):
        sepa.revoke_mandate(mandate, on=dt.date(2026, 11, 1))
    sepa.revoke_mandate(mandate, on=dt.date(2026, 12, 1))
    sepa.revoke_mandate(mandate, on=dt.date(2026, 12, 2))
    mandate.refresh_from_db()
    assert mandate.revoked_on == dt.date(2026, 12, 1)


# The file of a run


@pytest.fixture
def mandates(office, family, claire, durand):
    neighbour, paul = durand
    return (
        sepa.create_mandate(family, claire, office, signed_on=dt.date(2026, 11, 20)),
        sepa.create_mandate(neighbour, paul, office, signed_on=dt.date(2026, 10, 5)),
    )


def test_the_file_holds_the_runs_debits_and_validates_against_the_xsd(
    office, family, lea, canteen, durand, neighbour_family, mandates
):
    neighbour, zoe = neighbour_family
    run = issued_run(office)
    mine = debited_invoice(office, family, lea, canteen, run, 10)  # 32.00
    theirs = debited_invoice(office, neighbour, zoe, canteen, run, 5)  # 16.00
    # Not debited: an invoice without direct debit, and one of another run.
    factories.issued_invoice(office, family, [(lea, canteen, 2, "3.20")])

    batch = sepa.batch_for_run(run)

    assert (batch.transaction_count, batch.total_amount) == (2, Decimal("48.00"))
    assert batch.collection_date == dt.date(2026, 12, 11)
    assert batch.file.name.endswith(".xml")
    tree, rows = transactions(batch)
    # sepaxml validated it on export; the stored file validates too.
    from sepaxml.validation import try_valid_xml

    try_valid_xml(etree.tostring(tree), "pain.008.001.02")
    assert rows == [
        {
            "sequence": "FRST",
            "date": "2026-12-11",
            "amount": "16.00",
            "mandate": mandates[1].reference,
            "iban": DURAND_IBAN,
            "name": "Paul Durand",
        },
        {
            "sequence": "FRST",
            "date": "2026-12-11",
            "amount": "32.00",
            "mandate": mandates[0].reference,
            "iban": CLAIRE_IBAN,
            "name": "Claire Martin",
        },
    ]
    assert tree.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "48.00"
    assert tree.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == batch.message_id
    assert (
        tree.findtext(".//p:CdtrSchmeId//p:Othr/p:Id", namespaces=NS) == office.creditor_identifier
    )
    # One direct-debit payment per invoice, in the file: the invoices are paid.
    for invoice in (mine, theirs):
        invoice.refresh_from_db()
        assert invoice.balance == Decimal("0.00")
        [payment] = invoice.allocations.all()
        assert payment.payment.method == Payment.Method.DIRECT_DEBIT
        assert payment.payment.debit_batch == batch
        assert payment.payment.date == dt.date(2026, 12, 11)


def test_the_first_debit_is_frst_then_rcur(office, family, lea, canteen, mandates):
    november = issued_run(office)
    debited_invoice(office, family, lea, canteen, november, 10)
    first = sepa.batch_for_run(november)
    december = issued_run(office, (dt.date(2026, 12, 1), dt.date(2026, 12, 31)))
    debited_invoice(office, family, lea, canteen, december, 4)
    second = sepa.batch_for_run(december)

    assert [row["sequence"] for row in transactions(first)[1]] == ["FRST"]
    assert [row["sequence"] for row in transactions(second)[1]] == ["RCUR"]
    mandates[0].refresh_from_db()
    assert mandates[0].first_debit_done


def test_a_second_call_creates_nothing(office, family, lea, canteen, mandates):
    run = issued_run(office)
    debited_invoice(office, family, lea, canteen, run, 10)
    first = sepa.batch_for_run(run)
    again = tasks.direct_debit_file(run.pk)

    assert again == {"batch": first.pk, "debits": 1}
    assert DirectDebitBatch.objects.count() == 1
    assert Payment.objects.count() == 1


def test_no_file_without_an_active_mandate_or_anything_to_debit(
    office, family, lea, canteen, claire
):
    run = issued_run(office)
    invoice = debited_invoice(office, family, lea, canteen, run, 10)
    assert sepa.batch_for_run(run) is None  # no mandate
    mandate = sepa.create_mandate(family, claire, office, signed_on=dt.date(2026, 11, 20))
    sepa.revoke_mandate(mandate, on=dt.date(2026, 12, 1))
    assert sepa.batch_for_run(run) is None
    assert not DirectDebitBatch.objects.exists()
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("32.00")


def test_a_regie_without_creditor_details_gets_a_clear_error_and_no_file(
    office, family, lea, canteen, mandates
):
    run = issued_run(office)
    debited_invoice(office, family, lea, canteen, run, 10)
    office.creditor_identifier = ""
    office.save()

    with pytest.raises(BillingError) as refused:
        sepa.batch_for_run(run)
    assert refused.value.code == "creditor"
    assert tasks.direct_debit_file(run.pk) == {"error": str(refused.value)}
    assert not DirectDebitBatch.objects.exists()
    assert not Payment.objects.exists()


def test_a_draft_run_gets_no_file(office, family, lea, canteen, mandates):
    run = issued_run(office)
    debited_invoice(office, family, lea, canteen, run, 10)
    BillingRun.objects.filter(pk=run.pk).update(state=BillingRun.State.DRAFT)
    with pytest.raises(BillingError):
        sepa.batch_for_run(run)


def test_a_regie_without_bic_uses_the_later_schema(office, family, lea, canteen, mandates):
    office.creditor_bic = ""
    office.save()
    run = issued_run(office)
    debited_invoice(office, family, lea, canteen, run, 10)
    batch = sepa.batch_for_run(run)
    with batch.file.open("rb") as handle:
        assert b"pain.008.001.08" in handle.read()


def test_a_rejected_debit_owes_again_and_counts_on_the_mandate(
    office, family, lea, canteen, mandates, agent
):
    run = issued_run(office)
    invoice = debited_invoice(office, family, lea, canteen, run, 10)
    batch = sepa.batch_for_run(run)
    payment = batch.payments.get()

    sepa.record_rejection(payment, "AM04 provision insuffisante", user=agent)

    invoice.refresh_from_db()
    assert invoice.balance == Decimal("32.00")
    assert invoice.status_on(dt.date(2027, 1, 15)) == "overdue"
    mandates[0].refresh_from_db()
    assert mandates[0].rejections == 1


def test_only_a_direct_debit_is_recorded_as_a_rejected_debit(office, family, lea, canteen):
    from wagtail_family_portal.services.billing import payments

    invoice = factories.issued_invoice(office, family, [(lea, canteen, 1, "3.20")])
    cheque = payments.record_payment(
        office=office, family=family, method="cheque", amount="3.20", invoices=[invoice.pk]
    )
    with pytest.raises(BillingError):
        sepa.record_rejection(cheque, "sans provision")


def test_issuing_a_run_makes_its_file_after_commit(
    office, family, claire, lea, canteen, django_capture_on_commit_callbacks, monkeypatch
):
    from wagtail_family_portal.services.billing import runs

    # The PDFs and e-mails of the issue are another task's (tasks.invoices_issued).
    monkeypatch.setattr(tasks, "invoices_issued", lambda ids: None, raising=False)

    from .test_billing_runs import CANTEEN_DAYS, NOVEMBER, grid_with_bands, set_days

    family.family_quotient = Decimal("620")
    family.save()
    grid_with_bands(canteen, office)
    mandate = sepa.create_mandate(family, claire, office, signed_on=dt.date(2026, 11, 2))
    set_days(lea, canteen, CANTEEN_DAYS[:3])
    run = runs.create_run(office, *NOVEMBER, user=None)

    with django_capture_on_commit_callbacks(execute=True):
        runs.issue(run, user=None, issue_date=dt.date(2026, 12, 1))

    batch = DirectDebitBatch.objects.get(run=run)
    _tree, rows = transactions(batch)
    assert rows == [
        {
            "sequence": "FRST",
            "date": "2026-12-11",
            "amount": "9.60",
            "mandate": mandate.reference,
            "iban": CLAIRE_IBAN,
            "name": "Claire Martin",
        }
    ]
    invoice = run.invoices.get()
    assert invoice.balance == Decimal("0.00")
