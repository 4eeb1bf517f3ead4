"""Online payment (eopayment): starting a payment, the service's answers, idempotency, the log.

The dummy backend is eopayment's own; "bad signature" is tested with Systempay, which signs its
answers: a valid answer is built with eopayment's own signing code and the test secret, then
altered.
"""

import datetime as dt
import json
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import eopayment
import pytest

from wagtail_family_portal.models import OnlinePayment, OnlinePaymentEvent, Payment
from wagtail_family_portal.services.billing import BillingError, online, payments

from . import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_now")]

RETURN = "https://portal.example.org/espace-famille/retour/"
NOTIFY = "https://portal.example.org/family-portal/payment/notification/1/"
BANK = "https://portal.example.org/espace-famille/banque-test/"


@pytest.fixture
def invoices(office, family, lea, canteen):
    first = factories.issued_invoice(office, family, [(lea, canteen, 10, "3.20")])
    second = factories.issued_invoice(
        office, family, [(lea, canteen, 5, "3.20")], issue_date=dt.date(2026, 12, 2)
    )
    return first, second


def start(family, invoices, parent, **kwargs):
    return online.start_payment(
        family=family,
        invoice_ids=[invoice.pk for invoice in invoices],
        user=parent,
        return_url=RETURN,
        notify_url=NOTIFY,
        test_bank_url=BANK,
        **kwargs,
    )


def dummy_answer(online_payment, *, ok=True, signed=True, amount=None):
    """What the local test bank sends: eopayment's dummy response() reads it."""
    query = {
        "transaction_id": online_payment.transaction_id,
        "amount": str(online_payment.amount if amount is None else amount),
    }
    if ok:
        query["ok"] = "1"
    if signed:
        query["signed"] = "1"
    return urlencode(query)


def test_a_payment_covers_what_the_invoices_owe_and_goes_to_the_test_bank(
    office, family, parent, invoices
):
    online_payment, url = start(family, invoices, parent)
    assert online_payment.amount == Decimal("48.00")
    assert online_payment.state == OnlinePayment.State.STARTED
    assert set(online_payment.invoices.all()) == set(invoices)
    assert url.startswith(BANK + "?")
    query = parse_qs(urlsplit(url).query)
    assert query["transaction_id"] == [online_payment.transaction_id]
    assert query["return_url"] == [RETURN]
    assert query["direct_notification_url"] == [NOTIFY]
    assert online_payment.events.get().outcome == online.Outcome.STARTED


def test_dummy_round_trip_with_a_replayed_notification_records_one_payment(
    office, family, parent, invoices
):
    online_payment, _url = start(family, invoices, parent)
    notification = dummy_answer(online_payment)
    found = online.handle_response(notification, source="notification", office=office)
    assert found == online_payment
    # The family comes back (unsigned), the notification is replayed, then arrives again
    # without the régie being named.
    online.handle_response(
        dummy_answer(online_payment, signed=False), source="return", office=office
    )
    online.handle_response(notification, source="notification", office=office)
    online.handle_response(notification, source="notification")
    online_payment.refresh_from_db()
    assert online_payment.state == OnlinePayment.State.PAID
    payment = Payment.objects.get()
    assert online_payment.payment == payment
    assert (payment.method, payment.amount) == ("online", Decimal("48.00"))
    assert payment.reference == online_payment.transaction_id
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.balance == Decimal("0.00")
        assert invoice.status == "paid"
    outcomes = list(online_payment.events.order_by("pk").values_list("source", "outcome"))
    assert outcomes == [
        ("request", "started"),
        ("notification", "paid"),
        ("return", "unsigned"),
        ("notification", "replay"),
        ("notification", "replay"),
    ]


def test_the_notification_answers_what_the_service_expects(office, family, parent, invoices):
    online_payment, _url = start(family, invoices, parent)
    handled = online.handle_answer(dummy_answer(online_payment), source="notification")
    assert handled.return_content == "signature ok"


def test_an_invoice_paid_meanwhile_leaves_a_credit(office, family, parent, invoices):
    first, second = invoices
    online_payment, _url = start(family, invoices, parent)
    payments.record_payment(
        office=office, family=family, method="cheque", amount="32.00", invoices=[first.pk]
    )
    online.handle_response(dummy_answer(online_payment), source="notification", office=office)
    online_payment.refresh_from_db()
    assert online_payment.state == OnlinePayment.State.PAID
    second.refresh_from_db()
    assert second.balance == Decimal("0.00")
    assert payments.family_credit(office, family) == Decimal("32.00")


def test_a_refused_payment_records_nothing(office, family, parent, invoices):
    online_payment, _url = start(family, invoices, parent)
    online.handle_response(dummy_answer(online_payment, ok=False), source="notification")
    online_payment.refresh_from_db()
    assert online_payment.state == OnlinePayment.State.FAILED
    assert not Payment.objects.exists()
    assert online_payment.events.latest("pk").outcome == "refused"


def test_an_unsigned_notification_records_nothing(office, family, parent, invoices):
    online_payment, _url = start(family, invoices, parent)
    online.handle_response(
        dummy_answer(online_payment, signed=False), source="notification", office=office
    )
    online_payment.refresh_from_db()
    assert online_payment.state == OnlinePayment.State.STARTED
    assert not Payment.objects.exists()
    assert online_payment.events.latest("pk").outcome == "bad_signature"


def test_an_amount_that_does_not_match_is_refused_and_logged(office, family, parent, invoices):
    online_payment, _url = start(family, invoices, parent)
    online.handle_response(
        dummy_answer(online_payment, amount="1.00"), source="notification", office=office
    )
    online_payment.refresh_from_db()
    assert online_payment.state == OnlinePayment.State.FAILED
    assert not Payment.objects.exists()
    event = online_payment.events.latest("pk")
    assert event.outcome == "amount_mismatch"
    assert "1.00" in event.detail and "48.00" in event.detail


def test_an_unknown_transaction_is_logged_and_records_nothing(office, family, parent, invoices):
    start(family, invoices, parent)
    answer = urlencode({"transaction_id": "nope", "amount": "48.00", "ok": "1", "signed": "1"})
    assert online.handle_response(answer, source="notification", office=office) is None
    assert online.handle_response(answer, source="notification") is None
    assert online.handle_response("garbage", source="notification", office=office) is None
    assert not Payment.objects.exists()
    logged = list(
        OnlinePaymentEvent.objects.filter(online_payment=None)
        .order_by("pk")
        .values_list("outcome", flat=True)
    )
    assert logged == ["unknown_transaction", "unreadable", "unreadable"]


def test_invoices_of_two_regies_are_refused(municipality, office, family, parent, lea, canteen):
    other_office = factories.BillingOfficeFactory(municipality=municipality, name="Régie loisirs")
    first = factories.issued_invoice(office, family, [(lea, canteen, 1, "3.20")])
    second = factories.issued_invoice(other_office, family, [(lea, canteen, 1, "3.20")])
    with pytest.raises(BillingError) as refused:
        start(family, [first, second], parent)
    assert refused.value.code == "several_offices"
    assert "Régie loisirs" in str(refused.value)
    assert not OnlinePayment.objects.exists()


def test_another_familys_invoice_is_refused(office, family, parent, neighbour_family, canteen):
    neighbour, zoe = neighbour_family
    theirs = factories.issued_invoice(office, neighbour, [(zoe, canteen, 1, "3.20")])
    with pytest.raises(BillingError) as refused:
        start(family, [theirs], parent)
    assert refused.value.code == "not_found"
    with pytest.raises(BillingError):
        start(neighbour, [theirs], parent)
    assert not OnlinePayment.objects.exists()


def test_a_paid_invoice_or_none_at_all_is_refused(office, family, parent, invoices):
    first, _second = invoices
    payments.record_payment(
        office=office, family=family, method="cash", amount="32.00", invoices=[first.pk]
    )
    with pytest.raises(BillingError) as refused:
        start(family, [first], parent)
    assert refused.value.code == "nothing_to_pay"
    with pytest.raises(BillingError) as refused:
        start(family, [], parent)
    assert refused.value.code == "no_invoice"


def test_a_regie_without_online_payment_is_refused(office, family, parent, invoices):
    office.payment_backend = ""
    office.save()
    with pytest.raises(BillingError) as refused:
        start(family, invoices, parent)
    assert refused.value.code == "no_online_payment"


def test_the_test_backend_takes_nothing_where_test_payments_are_not_allowed(
    settings, client, portal_page, office, family, parent, invoices
):
    """A production site (DEBUG off, no setting) with a régie left on the test backend: no
    payment starts, a forged "paid" notification records nothing, the test bank is a 404."""
    online_payment, _url = start(family, invoices, parent)
    bank = {"transaction_id": online_payment.transaction_id}
    assert client.get("/espace-famille/banque-test/", bank).status_code == 200
    del settings.WAGTAIL_FAMILY_PORTAL_TEST_PAYMENTS
    settings.DEBUG = False
    with pytest.raises(BillingError) as refused:
        start(family, invoices, parent)
    assert refused.value.code == "not_configured"
    handled = online.handle_answer(
        dummy_answer(online_payment), source=online.Source.NOTIFICATION, office=office
    )
    assert handled.outcome == online.Outcome.UNREADABLE  # logged, and nothing recorded
    assert not Payment.objects.exists()
    assert client.get("/espace-famille/banque-test/", bank).status_code == 404
    settings.DEBUG = True
    assert online.start_payment(
        family=family,
        invoice_ids=[invoices[0].pk],
        user=parent,
        return_url=RETURN,
        notify_url=NOTIFY,
        test_bank_url=BANK,
    )


# A backend that signs its answers: Systempay with a test secret.

SECRET = "1122334455667788"


@pytest.fixture
def systempay(office, monkeypatch):
    monkeypatch.setenv("WFP_TEST_SYSTEMPAY", json.dumps({"secret_test": SECRET}))
    office.payment_backend = "systempayv2"
    office.payment_options = {"vads_site_id": "12345678", "vads_ctx_mode": "TEST"}
    office.payment_secrets_env = "WFP_TEST_SYSTEMPAY"
    office.save()
    return office


def signed_answer(online_payment, **changes):
    """Systempay's answer to ``online_payment``'s request, signed with the test secret by
    eopayment's own code, with ``changes`` applied after signing."""
    form = online.payment_form(online_payment)
    fields = {field["name"]: field["value"] for field in form["fields"]}
    fields.update({"vads_result": "00", "vads_auth_result": "00", "vads_auth_number": "123456"})
    backend = eopayment.Payment("systempayv2", {"secret_test": SECRET})
    fields["signature"] = backend.backend.signature(fields)
    fields.update(changes)
    return urlencode(fields)


def test_systempay_posts_a_form_and_a_signed_answer_pays(systempay, family, parent, invoices):
    online_payment, url = start(family, invoices, parent, form_url=lambda op: f"/form/{op.pk}/")
    assert url == f"/form/{online_payment.pk}/"
    form = online.payment_form(online_payment)
    assert form["url"].startswith("https://paiement.systempay.fr/")
    assert {"name": "vads_amount", "value": "4800"} in form["fields"]
    online.handle_response(signed_answer(online_payment), source="notification", office=systempay)
    online_payment.refresh_from_db()
    assert online_payment.state == OnlinePayment.State.PAID
    assert Payment.objects.get().amount == Decimal("48.00")


def test_a_bad_signature_is_refused_and_logged(systempay, family, parent, invoices):
    online_payment, _url = start(family, invoices, parent, form_url=lambda op: "/form/")
    # The amount changed after signing, then a signature made up.
    online.handle_response(
        signed_answer(online_payment, vads_amount="100"), source="return", office=systempay
    )
    online.handle_response(signed_answer(online_payment, signature="0" * 40), source="notification")
    online_payment.refresh_from_db()
    assert online_payment.state == OnlinePayment.State.STARTED
    assert not Payment.objects.exists()
    outcomes = list(online_payment.events.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["started", "bad_signature", "bad_signature"]


def test_secrets_come_from_the_environment_only(systempay, family, parent, invoices, monkeypatch):
    assert "secret_test" not in systempay.payment_options
    monkeypatch.delenv("WFP_TEST_SYSTEMPAY")
    with pytest.raises(BillingError) as refused:
        start(family, invoices, parent, form_url=lambda op: "/form/")
    assert refused.value.code == "not_configured"
    monkeypatch.setenv("WFP_TEST_SYSTEMPAY", "not json")
    with pytest.raises(BillingError):
        start(family, invoices, parent, form_url=lambda op: "/form/")
    assert not OnlinePayment.objects.exists()
