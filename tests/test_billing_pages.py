"""The family's invoices under the portal page ("Mes factures"): the list with its payments,
the "À payer" filter and the totals, one invoice with its lines, the PDF, paying online through
the local test bank and coming back, the notification address, the yearly attestation, the
dashboard's block; another family's invoice is a 404; the list's queries do not grow with the
number of invoices and payments."""

import datetime as dt
import re
from decimal import Decimal
from html import unescape
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail_family_portal.models import OnlinePayment, OnlinePaymentEvent, Payment
from wagtail_family_portal.services.billing import payments

from . import factories

PORTAL_URL = "/espace-famille/"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_now")]


def url(family, rest=""):
    return f"{PORTAL_URL}famille/{family.pk}/{rest}"


def clean(html: str) -> str:
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
    return unescape(words)


def rows(response) -> dict[str, str]:
    """The text of each invoice row, by invoice id."""
    found = re.findall(
        r'<tr id="wfp-invoice-(\d+)"[^>]*>(.*?)</tr>', response.content.decode(), re.S
    )
    return {int(pk): clean(row) for pk, row in found}


def total(response, name) -> str:
    match = re.search(rf'data-total="{name}"[^>]*>(.*?)</dd>', response.content.decode(), re.S)
    return clean(match.group(1)) if match else ""


def amount(text) -> str:
    """``48,00`` or ``48.00`` as written by the page, as ``48.00``."""
    return text.replace(",", ".").replace("\u202f", "").replace("\xa0", "")


@pytest.fixture
def invoices(office, family, lea, hugo, canteen):
    """Two invoices of the family: the first paid by cheque, the second still to pay."""
    first = factories.issued_invoice(
        office, family, [(lea, canteen, 10, "3.20")], issue_date=dt.date(2026, 11, 2)
    )
    second = factories.issued_invoice(
        office, family, [(lea, canteen, 5, "3.20"), (hugo, canteen, 4, "2.50")]
    )
    payments.record_payment(
        office=office,
        family=family,
        method="cheque",
        amount="32.00",
        invoices=[first.pk],
        date=dt.date(2026, 11, 20),
    )
    return first, second


def test_the_list_shows_each_invoice_with_its_payments_and_the_totals(
    parent_client, portal_page, family, invoices
):
    first, second = invoices
    response = parent_client.get(url(family, "factures/"))
    assert response.status_code == 200
    shown = rows(response)
    assert list(shown) == [second.pk, first.pk]  # newest first
    assert first.number in shown[first.pk]
    assert "P2026-000001" in shown[first.pk]  # the cheque: number, method, date, amount
    assert "20/11/2026" in shown[first.pk]
    assert "32[.,]00" and re.search(r"32[.,]00", shown[first.pk])
    assert "Régie enfance" in shown[second.pk]
    assert re.search(r"26[.,]00", shown[second.pk])  # 16.00 + 10.00
    assert re.search(r'data-status="paid"', response.content.decode())
    assert amount(total(response, "due")).startswith("26.00 €")
    # Only the invoice still owing can be chosen to pay.
    page = response.content.decode()
    assert f'name="factures" value="{second.pk}"' in page
    assert f'name="factures" value="{first.pk}"' not in page


def test_the_to_pay_filter_keeps_the_invoices_still_owing(
    parent_client, portal_page, family, invoices
):
    first, second = invoices
    response = parent_client.get(url(family, "factures/"), {"filtre": "a-payer"})
    assert list(rows(response)) == [second.pk]
    assert amount(total(response, "due")).startswith("26.00 €")


def test_the_familys_credit_is_shown(parent_client, portal_page, office, family, invoices):
    _first, second = invoices
    payments.record_payment(
        office=office,
        family=family,
        method="cash",
        amount="30.00",
        invoices=[second.pk],
        allow_credit=True,
    )
    response = parent_client.get(url(family, "factures/"))
    assert amount(total(response, "due")).startswith("0.00 €")
    assert amount(total(response, "credit")).startswith("4.00 €")


def test_the_detail_shows_the_lines_their_basis_the_payments_and_the_pdf(
    parent_client, portal_page, family, invoices
):
    first, second = invoices
    response = parent_client.get(url(family, f"factures/{second.pk}/"))
    assert response.status_code == 200
    text = clean(response.content.decode())
    assert "Léa" in text and "Hugo" in text
    assert "QF 620 → tranche 2" in text
    assert re.search(r"3[.,]20 €", text) and re.search(r"16[.,]00 €", text)
    assert f"factures/{second.pk}/pdf/" in response.content.decode()
    assert f'name="factures" value="{second.pk}"' in response.content.decode()
    paid = parent_client.get(url(family, f"factures/{first.pk}/"))
    assert "P2026-000001" in clean(paid.content.decode())
    assert 'name="factures"' not in paid.content.decode()


def test_the_pdf_is_downloaded(parent_client, portal_page, family, invoices):
    _first, second = invoices
    response = parent_client.get(url(family, f"factures/{second.pk}/pdf/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"facture-{second.number}.pdf" in response["Content-Disposition"]


def test_another_familys_invoice_is_a_404(
    parent_client, portal_page, office, family, neighbour_family, canteen, invoices
):
    neighbour, zoe = neighbour_family
    theirs = factories.issued_invoice(office, neighbour, [(zoe, canteen, 1, "3.20")])
    for address in (
        url(family, f"factures/{theirs.pk}/"),
        url(family, f"factures/{theirs.pk}/pdf/"),
        url(neighbour, "factures/"),
        url(neighbour, f"factures/{theirs.pk}/"),
    ):
        assert parent_client.get(address).status_code == 404, address
    response = parent_client.post(url(family, "factures/payer/"), {"factures": [theirs.pk]})
    assert response.status_code == 404
    assert not OnlinePayment.objects.exists()


def test_a_draft_invoice_is_not_shown(parent_client, portal_page, office, family, invoices):
    _first, second = invoices
    type(second).objects.filter(pk=second.pk).update(state="draft")
    assert second.pk not in rows(parent_client.get(url(family, "factures/")))
    assert parent_client.get(url(family, f"factures/{second.pk}/")).status_code == 404


def test_not_logged_in_goes_to_the_login(client, portal_page, family, invoices):
    response = client.get(url(family, "factures/"))
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


def _many_invoices(office, family, children, activity, count):
    for index in range(count):
        invoice = factories.issued_invoice(
            office,
            family,
            [(child, activity, 2, "3.20") for child in children],
            issue_date=dt.date(2026, 10, 1) + dt.timedelta(days=index),
        )
        payments.record_payment(
            office=office, family=family, method="cash", amount="1.00", invoices=[invoice.pk]
        )
        payments.record_payment(
            office=office, family=family, method="cheque", amount="2.00", invoices=[invoice.pk]
        )


def test_the_list_runs_the_same_queries_whatever_the_number_of_invoices(
    parent_client, portal_page, office, family, lea, hugo, canteen
):
    _many_invoices(office, family, [lea, hugo], canteen, 2)
    address = url(family, "factures/")
    parent_client.get(address)  # warm up the caches (content types, site root paths)
    with CaptureQueriesContext(connection) as small:
        assert len(rows(parent_client.get(address))) == 2
    _many_invoices(office, family, [lea, hugo], canteen, 8)
    with CaptureQueriesContext(connection) as large:
        assert len(rows(parent_client.get(address))) == 10
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_dashboard_shows_what_is_due(parent_client, portal_page, family, invoices):
    response = parent_client.get(PORTAL_URL)
    block = re.search(r'data-block="invoices".*?</section>', response.content.decode(), re.S).group(
        0
    )
    assert re.search(r"26[.,]00", clean(block))
    assert f"famille/{family.pk}/factures/" in block


def test_the_menu_entry_leads_to_the_familys_invoices(parent_client, portal_page, family):
    response = parent_client.get(f"{PORTAL_URL}factures/")
    assert response.status_code == 302
    assert response["Location"].endswith(url(family, "factures/"))


# Paying online


def test_paying_through_the_test_bank_records_the_payment_once(
    parent_client, client, portal_page, office, family, invoices
):
    _first, second = invoices
    response = parent_client.post(url(family, "factures/payer/"), {"factures": [second.pk]})
    assert response.status_code == 302
    bank = urlsplit(response["Location"])
    assert bank.path == f"{PORTAL_URL}banque-test/"
    page = parent_client.get(f"{bank.path}?{bank.query}")
    assert page.status_code == 200
    assert re.search(r"26[.,]00 €", clean(page.content.decode()))
    started = OnlinePayment.objects.get()
    back = parent_client.post(
        bank.path, {"transaction_id": started.transaction_id, "action": "pay"}
    )
    assert back.status_code == 302
    returned = urlsplit(back["Location"])
    assert returned.path == url(family, f"factures/paiement/retour/{office.pk}/")
    shown = parent_client.get(f"{returned.path}?{returned.query}")
    assert 'data-state="paid"' in shown.content.decode()
    # The notification replayed by the bank to the notification address records nothing more.
    notification = urlencode(
        {
            "transaction_id": started.transaction_id,
            "amount": "26.00",
            "ok": "1",
            "signed": "1",
        }
    )
    answer = client.post(
        f"/family-portal/payment/notification/{office.pk}/",
        notification,
        content_type="application/x-www-form-urlencoded",
    )
    assert (answer.status_code, answer.content) == (200, b"signature ok")
    second.refresh_from_db()
    assert second.balance == Decimal("0.00")
    assert Payment.objects.filter(method="online").count() == 1
    outcomes = list(OnlinePaymentEvent.objects.order_by("pk").values_list("source", "outcome"))
    assert outcomes == [
        ("request", "started"),
        ("notification", "paid"),
        ("return", "unsigned"),
        ("notification", "replay"),
    ]


def test_the_return_page_trusts_the_database_not_the_return(
    parent_client, portal_page, office, family, invoices
):
    _first, second = invoices
    response = parent_client.post(url(family, "factures/payer/"), {"factures": [second.pk]})
    started = OnlinePayment.objects.get()
    # A return saying "ok" without the service's notification: still pending.
    forged = urlencode({"transaction_id": started.transaction_id, "amount": "26.00", "ok": "1"})
    shown = parent_client.get(url(family, f"factures/paiement/retour/{office.pk}/") + "?" + forged)
    assert 'data-state="pending"' in shown.content.decode()
    assert not Payment.objects.filter(method="online").exists()
    assert response.status_code == 302


def test_cancelling_at_the_bank_says_nothing_was_paid(
    parent_client, portal_page, office, family, invoices
):
    _first, second = invoices
    parent_client.post(url(family, "factures/payer/"), {"factures": [second.pk]})
    started = OnlinePayment.objects.get()
    back = parent_client.post(
        f"{PORTAL_URL}banque-test/", {"transaction_id": started.transaction_id, "action": "cancel"}
    )
    shown = parent_client.get(back["Location"])
    assert 'data-state="refused"' in shown.content.decode()
    started.refresh_from_db()
    assert started.state == OnlinePayment.State.FAILED


def test_paying_an_invoice_already_paid_says_why(parent_client, portal_page, family, invoices):
    first, _second = invoices
    response = parent_client.post(url(family, "factures/payer/"), {"factures": [first.pk]})
    assert response.status_code == 302
    assert response["Location"].endswith(url(family, "factures/"))
    listed = parent_client.get(response["Location"])
    assert first.number in clean(listed.content.decode())  # the message names the invoice
    assert not OnlinePayment.objects.exists()


def test_the_notification_address_refuses_what_it_cannot_verify(client, office, portal_page):
    answer = client.post(
        f"/family-portal/payment/notification/{office.pk}/",
        "transaction_id=unknown&ok=1&signed=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 400
    assert OnlinePaymentEvent.objects.get().outcome == "unknown_transaction"


def test_the_test_bank_shows_only_dummy_transactions(client, portal_page):
    assert client.get(f"{PORTAL_URL}banque-test/?transaction_id=nope").status_code == 404


# The yearly attestation


def test_the_attestation_of_a_year_is_downloaded_from_1_january(
    parent_client, portal_page, office, family, invoices, freeze_clock
):
    address = url(family, f"attestations/{office.pk}/2026/")
    assert parent_client.get(address).status_code == 404  # 3 December 2026
    freeze_clock(dt.datetime(2027, 1, 1, 8, 0))
    response = parent_client.get(address)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    listed = parent_client.get(url(family, "factures/"))
    assert address in listed.content.decode()


def test_the_attestation_of_another_regie_is_a_404(
    parent_client, portal_page, municipality, family, invoices, freeze_clock
):
    freeze_clock(dt.datetime(2027, 1, 10, 8, 0))
    other = factories.BillingOfficeFactory(municipality=municipality, name="Régie loisirs")
    assert parent_client.get(url(family, f"attestations/{other.pk}/2026/")).status_code == 404


def test_a_credit_note_shows_on_its_invoice_and_a_cancelled_invoice_stays_listed(
    parent_client, portal_page, office, family, agent, invoices
):
    from wagtail_family_portal.services.billing import runs

    _first, second = invoices
    note = runs.credit_note(second, reason="Sortie annulée", user=agent)
    second.refresh_from_db()
    assert second.state == "cancelled"
    listed = rows(parent_client.get(url(family, "factures/")))
    assert note.number in listed[note.pk]
    assert second.number in listed[second.pk]
    assert 'data-status="cancelled"' in parent_client.get(url(family, "factures/")).content.decode()
    detail = parent_client.get(url(family, f"factures/{second.pk}/"))
    assert note.number in clean(detail.content.decode())
    assert "Sortie annulée" in clean(detail.content.decode())
    assert f'name="factures" value="{second.pk}"' not in detail.content.decode()
    of_note = parent_client.get(url(family, f"factures/{note.pk}/"))
    assert f'href="{url(family, f"factures/{second.pk}/")}"' in of_note.content.decode()
