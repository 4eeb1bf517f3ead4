"""``POST invoices/pay/``: the URL of the online payment of one or more invoices; another
family's invoice answers 404, invoices of two régies 400, an invoice already paid 409."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient

from wagtail_family_portal.models import OnlinePayment
from wagtail_family_portal.services.billing import payments

from . import factories

PAY = "/api/family-portal/v1/invoices/pay/"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_now")]


@pytest.fixture
def api(parent):
    client = APIClient()
    client.force_authenticate(parent)
    return client


@pytest.fixture
def invoices(office, family, lea, canteen):
    first = factories.issued_invoice(office, family, [(lea, canteen, 10, "3.20")])
    second = factories.issued_invoice(
        office, family, [(lea, canteen, 5, "3.20")], issue_date=dt.date(2026, 12, 2)
    )
    return first, second


def test_paying_two_invoices_answers_the_payment_page(api, portal_page, office, family, invoices):
    response = api.post(PAY, {"invoice_ids": [i.pk for i in invoices]}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    started = OnlinePayment.objects.get()
    assert data["id"] == started.pk
    assert data["amount"] == "48.00"
    bank = urlsplit(data["payment_url"])
    assert bank.path == "/espace-famille/banque-test/"
    query = parse_qs(bank.query)
    assert query["transaction_id"] == [started.transaction_id]
    assert query["return_url"][0].endswith(
        f"/espace-famille/famille/{family.pk}/factures/paiement/retour/{office.pk}/"
    )
    assert query["direct_notification_url"][0].endswith(
        f"/family-portal/payment/notification/{office.pk}/"
    )


def test_another_familys_invoice_answers_404(api, portal_page, office, neighbour_family, canteen):
    neighbour, zoe = neighbour_family
    theirs = factories.issued_invoice(office, neighbour, [(zoe, canteen, 1, "3.20")])
    response = api.post(PAY, {"invoice_ids": [theirs.pk]}, format="json")
    assert response.status_code == 404
    assert api.post(PAY, {"invoice_ids": [999999]}, format="json").status_code == 404
    assert not OnlinePayment.objects.exists()


def test_bad_bodies_answer_400(api, portal_page, municipality, office, family, lea, canteen):
    other = factories.BillingOfficeFactory(municipality=municipality, name="Régie loisirs")
    first = factories.issued_invoice(office, family, [(lea, canteen, 1, "3.20")])
    second = factories.issued_invoice(other, family, [(lea, canteen, 1, "3.20")])
    for body in ({}, {"invoice_ids": []}, {"invoice_ids": ["x"]}):
        response = api.post(PAY, body, format="json")
        assert response.status_code == 400, body
        assert "invoice_ids" in response.json()
    response = api.post(PAY, {"invoice_ids": [first.pk, second.pk]}, format="json")
    assert response.status_code == 400
    assert "Régie loisirs" in response.json()["invoice_ids"][0]


def test_an_invoice_already_paid_answers_409(api, portal_page, office, family, invoices):
    first, _second = invoices
    payments.record_payment(
        office=office, family=family, method="cash", amount="32.00", invoices=[first.pk]
    )
    response = api.post(PAY, {"invoice_ids": [first.pk]}, format="json")
    assert response.status_code == 409
    assert first.number in response.json()["detail"]


def test_not_logged_in_answers_401(portal_page, invoices):
    response = APIClient().post(PAY, {"invoice_ids": [invoices[0].pk]}, format="json")
    assert response.status_code == 401
