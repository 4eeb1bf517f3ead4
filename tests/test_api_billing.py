""" "Espace Facturation" through the API: the family's invoices with their payments and the
?status= filter, one invoice with its lines and credit notes, the PDFs, the yearly attestation;
another family's ids and drafts are never visible; a constant number of queries."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wagtail_family_portal.models import Invoice
from wagtail_family_portal.services.billing import payments

from . import factories

BASE = "/api/family-portal/v1/"
# factories.NOW: Thursday 3 December 2026.
pytestmark = pytest.mark.usefixtures("fixed_now")


def invoices_url(family):
    return f"{BASE}families/{family.pk}/invoices/"


def invoice_url(invoice):
    return f"{BASE}invoices/{invoice.pk}/"


def attestation_url(family, year):
    return f"{BASE}families/{family.pk}/attestations/{year}/pdf/"


@pytest.fixture
def client(parent):
    """Token authentication, as an app uses it, in English."""
    token = Token.objects.create(user=parent)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def session(parent):
    """Session authentication, as the portal's own pages use it."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(parent)
    return client


@pytest.fixture
def november(office, family, lea, hugo, canteen):
    """November's invoice: Léa's and Hugo's meals, 48.00 €, due on 31 December."""
    factories.enrol(hugo, canteen)
    return factories.issued_invoice(
        office, family, [(lea, canteen, 10, "3.20"), (hugo, canteen, 5, "3.20")]
    )


@pytest.fixture
def october(office, family, lea, canteen):
    """October's invoice, 32.00 €, issued on 2 November and due on 20 November: overdue."""
    return factories.issued_invoice(
        office,
        family,
        [(lea, canteen, 10, "3.20")],
        issue_date=dt.date(2026, 11, 2),
        due_date=dt.date(2026, 11, 20),
        period=(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
    )


def pay(office, family, invoice, amount, day=dt.date(2026, 12, 2), method="cheque"):
    return payments.record_payment(
        office=office,
        family=family,
        method=method,
        amount=amount,
        invoices=[invoice.pk],
        date=day,
    )


def draft_of(office, family):
    return Invoice.objects.create(
        billing_office=office,
        family=family,
        period_start=dt.date(2026, 12, 1),
        period_end=dt.date(2026, 12, 31),
        total="99.00",
    )


# GET families/{family_id}/invoices/


def test_the_list_gives_each_invoice_with_its_issuer_and_payments(
    client, office, family, november, october
):
    payment = pay(office, family, november, "20.00")

    response = client.get(invoices_url(family))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is None
    first, second = body["results"]
    assert first == {
        "id": november.pk,
        "number": november.number,
        "kind": "invoice",
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "issue_date": "2026-12-01",
        "due_date": "2026-12-31",
        "amount": "48.00",
        "balance": "28.00",
        "status": "partially_paid",
        "status_label": "partially paid",
        "issuer": {"id": office.pk, "name": office.name, "code": office.code},
        "direct_debit": False,
        "debit_date": None,
        "payments": [
            {
                "number": payment.number,
                "method": "cheque",
                "method_label": "cheque",
                "date": "2026-12-02",
                "amount": "20.00",
                "payment_amount": "20.00",
            }
        ],
    }
    assert (second["id"], second["status"], second["balance"]) == (october.pk, "overdue", "32.00")


def test_the_session_of_the_portals_pages_reads_the_list_too(session, family, november):
    response = session.get(invoices_url(family))

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [november.pk]


def test_not_logged_in_is_a_401(family, november):
    assert APIClient().get(invoices_url(family)).status_code == 401
    assert APIClient().get(invoice_url(november)).status_code == 401


def test_a_payment_split_over_two_invoices_shows_its_part_on_each(
    client, office, family, november, october
):
    payments.record_payment(
        office=office,
        family=family,
        method="transfer",
        amount="40.00",
        invoices=[november.pk, october.pk],
        date=dt.date(2026, 12, 2),
    )

    results = client.get(invoices_url(family)).json()["results"]

    parts = {item["id"]: item["payments"][0] for item in results}
    assert parts[october.pk]["amount"] == "32.00"  # the oldest due date first
    assert parts[november.pk]["amount"] == "8.00"
    assert {part["payment_amount"] for part in parts.values()} == {"40.00"}


def test_a_rejected_payment_is_not_among_the_payments(client, office, family, november):
    payment = pay(office, family, november, "48.00", method="direct_debit")
    payments.reject_payment(payment, reason="Provision insuffisante", user=None)

    [item] = client.get(invoices_url(family)).json()["results"]

    assert item["payments"] == []
    assert (item["status"], item["balance"]) == ("to_pay", "48.00")


def test_drafts_are_never_shown_and_a_cancelled_invoice_reads_cancelled(
    client, office, family, november
):
    draft = draft_of(office, family)
    cancelled = factories.issued_invoice(office, family, [])
    cancelled.state = Invoice.State.CANCELLED
    cancelled.save(update_fields=["state"])

    results = client.get(invoices_url(family)).json()["results"]

    assert sorted(item["id"] for item in results) == sorted([november.pk, cancelled.pk])
    assert client.get(invoice_url(draft)).status_code == 404
    assert client.get(invoice_url(draft) + "pdf/").status_code == 404
    assert client.get(invoice_url(cancelled)).json()["status"] == "cancelled"


@pytest.mark.parametrize(
    "status, expected",
    [
        ("to_pay", ["november", "october"]),
        ("overdue", ["october"]),
        ("paid", ["paid"]),
        ("partially_paid", ["november"]),
        ("paid,overdue", ["october", "paid"]),  # newest first
        ("credit_note", []),
    ],
)
def test_the_status_filter(
    client, office, family, lea, canteen, november, october, status, expected
):
    paid = factories.issued_invoice(
        office, family, [(lea, canteen, 1, "3.20")], issue_date=dt.date(2026, 11, 1)
    )
    pay(office, family, paid, "3.20")
    pay(office, family, november, "1.00")
    names = {november.pk: "november", october.pk: "october", paid.pk: "paid"}

    response = client.get(invoices_url(family), {"status": status})

    assert response.status_code == 200
    assert [names[item["id"]] for item in response.json()["results"]] == expected
    assert response.json()["count"] == len(expected)


def test_the_status_follows_the_towns_today(client, family, november, freeze_clock):
    freeze_clock(dt.datetime(2027, 1, 2, 9, 0))

    [item] = client.get(invoices_url(family), {"status": "to_pay"}).json()["results"]

    assert item["status"] == "overdue"


def test_an_unknown_status_is_a_400(client, family, november):
    response = client.get(invoices_url(family), {"status": "unpaid"})

    assert response.status_code == 400
    assert set(response.json()) == {"status"}


def test_the_list_is_paginated(client, office, family, lea, canteen):
    for day in range(1, 4):
        factories.issued_invoice(
            office, family, [(lea, canteen, 1, "3.20")], issue_date=dt.date(2026, 11, day)
        )

    first = client.get(invoices_url(family), {"page_size": 2}).json()
    last = client.get(invoices_url(family), {"page_size": 2, "page": 2}).json()

    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    assert len(last["results"]) == 1 and last["next"] is None


def test_the_list_reads_a_constant_number_of_queries(client, office, family, lea, canteen):
    def invoices_with_payments(count):
        for _index in range(count):
            invoice = factories.issued_invoice(office, family, [(lea, canteen, 2, "3.20")])
            pay(office, family, invoice, "1.00")
            pay(office, family, invoice, "2.00")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(invoices_url(family))
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    invoices_with_payments(2)
    few = queries()
    invoices_with_payments(8)
    many = queries()

    assert few[1] == 2 and many[1] == 10
    # The token's account, the family, the count, the page with its régies, the payments.
    assert few[0] == many[0] == 5


# Scoping: another family's ids


@pytest.fixture
def neighbours_invoice(office, neighbour_family):
    family, child = neighbour_family
    activity = factories.ActivityFactory(
        establishment=factories.EstablishmentFactory(municipality=family.municipality)
    )
    invoice = factories.issued_invoice(office, family, [(child, activity, 4, "3.20")])
    pay(office, family, invoice, "5.00", day=dt.date(2025, 6, 1))
    return invoice


def test_another_familys_invoices_are_a_404(client, neighbour_family, neighbours_invoice):
    family, _child = neighbour_family
    not_found = "Unknown, or not visible to this account."

    for url in (
        invoices_url(family),
        invoice_url(neighbours_invoice),
        invoice_url(neighbours_invoice) + "pdf/",
        attestation_url(family, 2025),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": not_found}, url


def test_another_familys_invoices_are_not_in_the_list(client, family, november, neighbours_invoice):
    results = client.get(invoices_url(family)).json()["results"]

    assert [item["id"] for item in results] == [november.pk]


# GET invoices/{id}/


def test_one_invoice_gives_its_lines_payments_and_credit_notes(
    client, office, family, lea, hugo, canteen, november
):
    pay(office, family, november, "10.00")
    note = Invoice.objects.create(
        billing_office=office,
        family=family,
        kind=Invoice.Kind.CREDIT_NOTE,
        corrects=november,
        state=Invoice.State.ISSUED,
        number="2026-000099",
        period_start=november.period_start,
        period_end=november.period_end,
        issue_date=dt.date(2026, 12, 2),
        total="6.40",
        reason="Deux repas annulés (grève)",
    )

    response = client.get(invoice_url(november))

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["amount"], body["balance"]) == (november.number, "48.00", "38.00")
    assert body["family_id"] == family.pk and body["addressee"] == "Famille Martin"
    assert body["lines"] == [
        {
            "child": {"id": lea.pk, "name": f"Léa {lea.last_name}"},
            "activity": {"id": canteen.pk, "name": "Repas école"},
            "kind": "booked",
            "kind_label": "days booked",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "quantity": "10.00",
            "unit_price": "3.20",
            "amount": "32.00",
            "basis": "QF 620 → tranche 2",
        },
        {
            "child": {"id": hugo.pk, "name": f"Hugo {hugo.last_name}"},
            "activity": {"id": canteen.pk, "name": "Repas école"},
            "kind": "booked",
            "kind_label": "days booked",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "quantity": "5.00",
            "unit_price": "3.20",
            "amount": "16.00",
            "basis": "QF 620 → tranche 2",
        },
    ]
    assert [payment["amount"] for payment in body["payments"]] == ["10.00"]
    assert body["credit_notes"] == [
        {
            "id": note.pk,
            "number": "2026-000099",
            "issue_date": "2026-12-02",
            "amount": "6.40",
            "reason": "Deux repas annulés (grève)",
        }
    ]
    assert body["corrects"] is None
    credit_note = client.get(invoice_url(note)).json()
    assert credit_note["status"] == "credit_note" and credit_note["balance"] == "0.00"
    assert credit_note["corrects"] == {"id": november.pk, "number": november.number}


def test_a_line_of_a_child_since_removed_keeps_its_name(client, family, lea, november):
    lea.delete()

    lines = client.get(invoice_url(november)).json()["lines"]

    assert lines[0]["child"]["id"] is None and lines[0]["child"]["name"].startswith("Léa")


# GET invoices/{id}/pdf/


def test_the_invoice_pdf(client, session, november):
    response = client.get(invoice_url(november) + "pdf/")
    asked_for_pdf = session.get(invoice_url(november) + "pdf/", HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{november.number}.pdf"' in response["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert november.number in text and "48,00" in text  # amounts written the French way
    assert asked_for_pdf.status_code == 200 and asked_for_pdf.content[:5] == b"%PDF-"


def test_an_unknown_invoices_pdf_is_a_json_404_even_when_a_pdf_is_asked_for(client):
    response = client.get(f"{BASE}invoices/999999/pdf/", HTTP_ACCEPT="application/pdf")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


# GET families/{family_id}/attestations/{year}/pdf/


@pytest.fixture
def paid_in_2025(office, family, lea, canteen):
    invoice = factories.issued_invoice(
        office, family, [(lea, canteen, 10, "3.20")], issue_date=dt.date(2025, 11, 3)
    )
    pay(office, family, invoice, "32.00", day=dt.date(2025, 11, 20))
    return invoice


def test_the_attestation_of_a_past_year(client, family, lea, office, paid_in_2025):
    response = client.get(attestation_url(family, 2025))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="attestation-2025-{office.code}.pdf"' in response["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "2025" in text and "32,00" in text and "Léa" in text


@pytest.mark.parametrize("year", [2026, 2027])
def test_the_attestation_of_a_year_not_over_is_refused(client, family, paid_in_2025, year):
    response = client.get(attestation_url(family, year))

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": f"The attestation of {year} is available from 1 January {year + 1}."
    }


def test_the_attestation_is_available_from_the_first_of_january(
    client, family, paid_in_2025, freeze_clock, lea, canteen, office
):
    freeze_clock(dt.datetime(2027, 1, 1, 0, 5))

    assert client.get(attestation_url(family, 2026)).status_code == 200


def test_a_year_before_any_attestation_is_refused(client, family, paid_in_2025):
    response = client.get(attestation_url(family, 1999))

    assert response.status_code == 400
    assert response.json() == {"detail": "There is no attestation for 1999."}


def test_an_attestation_needs_the_office_when_the_family_has_several(
    client, municipality, family, lea, canteen, office, paid_in_2025
):
    leisure = factories.BillingOfficeFactory(municipality=municipality, name="Régie loisirs")
    factories.issued_invoice(
        leisure, family, [(lea, canteen, 2, "5.00")], issue_date=dt.date(2025, 7, 1)
    )

    ambiguous = client.get(attestation_url(family, 2025))
    chosen = client.get(attestation_url(family, 2025), {"office": leisure.pk})
    bad = client.get(attestation_url(family, 2025), {"office": "abc"})

    assert ambiguous.status_code == 400
    detail = ambiguous.json()["detail"]
    assert "several régies" in detail and "?office=" in detail
    assert f"{leisure.pk}: Régie loisirs" in detail and f"{office.pk}: {office.name}" in detail
    assert chosen.status_code == 200 and f"-{leisure.code}.pdf" in chosen["Content-Disposition"]
    assert bad.status_code == 400 and set(bad.json()) == {"office"}


def test_an_attestation_of_a_regie_the_family_never_had_is_a_404(
    client, municipality, other_municipality, family, paid_in_2025
):
    other_town_office = factories.BillingOfficeFactory(municipality=other_municipality)
    unused = factories.BillingOfficeFactory(municipality=municipality, name="Régie piscine")

    for office in (other_town_office, unused):
        response = client.get(attestation_url(family, 2025), {"office": office.pk})
        assert response.status_code == 404


def test_a_family_without_invoices_has_no_attestation(client, family):
    response = client.get(attestation_url(family, 2025))

    assert response.status_code == 404
    assert "no invoice" in response.json()["detail"]


# The schema


def test_the_schema_documents_the_billing_endpoints(db):
    schema = APIClient().get(BASE + "schema/", {"format": "json"}).json()
    paths = schema["paths"]

    for path in (
        "families/{family_id}/invoices/",
        "invoices/{id}/",
        "invoices/{id}/pdf/",
        "families/{family_id}/attestations/{year}/pdf/",
    ):
        assert "get" in paths[BASE + path], path
    pdf = paths[BASE + "invoices/{id}/pdf/"]["get"]["responses"]["200"]["content"]
    assert pdf == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    invoice = schema["components"]["schemas"]["Invoice"]["properties"]
    assert (
        invoice["amount"]["type"] == "string" and "two decimals" in invoice["amount"]["description"]
    )
    assert schema["components"]["schemas"]["InvoiceStatusEnum"]["enum"] == Invoice.Status.values
    listing = paths[BASE + "families/{family_id}/invoices/"]["get"]
    status = next(p for p in listing["parameters"] if p["name"] == "status")
    assert "to_pay" in status["schema"]["items"]["enum"]


def test_a_regies_code_cannot_break_the_file_name(client, family, office, paid_in_2025):
    office.code = 'EN"F\\é'
    office.save(update_fields=["code"])

    response = client.get(attestation_url(family, 2025))

    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename") and "\n" not in disposition
    assert 'filename="attestation-2025-EN"F' not in disposition


def test_one_invoice_reads_a_constant_number_of_queries(
    client, office, family, lea, canteen, november
):
    def queries(invoice):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(invoice_url(invoice)).status_code == 200
        return len(captured)

    small = factories.issued_invoice(office, family, [(lea, canteen, 1, "3.20")])
    pay(office, family, small, "1.00")
    big = factories.issued_invoice(office, family, [(lea, canteen, 1, "3.20")] * 12)
    for _index in range(5):
        pay(office, family, big, "1.00")

    # The token's account, the invoice, its payments, its credit notes, its lines.
    assert queries(small) == queries(big) == 5
