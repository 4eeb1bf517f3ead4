"""A notification arriving many times at once (the service's retries, the return at the same
moment), on PostgreSQL: one payment, every answer logged. Each thread hands the same signed
answer to ``online.handle_response`` on its own connection, released together by a barrier;
recording the payment is slowed down so that the others surely arrive while it runs."""

import threading
import time
from collections import Counter
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection

from wagtail_family_portal.models import OnlinePayment, OnlinePaymentEvent, Payment
from wagtail_family_portal.services.billing import online, payments

from . import factories

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 8


def test_a_notification_arriving_many_times_at_once_records_one_payment(monkeypatch):
    municipality = factories.MunicipalityFactory()
    office = factories.BillingOfficeFactory(municipality=municipality)
    family = factories.FamilyFactory(municipality=municipality, name="Martin")
    child = factories.ChildFactory(family=family, first_name="Léa")
    school = factories.EstablishmentFactory(municipality=municipality)
    canteen = factories.ActivityFactory(establishment=school, name="Repas école")
    parent = factories.UserFactory(username="parent@example.org", email="parent@example.org")
    factories.SubscriptionFactory(user=parent, family=family)
    invoice = factories.issued_invoice(office, family, [(child, canteen, 10, "3.20")])
    started, _url = online.start_payment(
        family=family,
        invoice_ids=[invoice.pk],
        user=parent,
        return_url="https://example.org/retour/",
        notify_url="https://example.org/notification/",
        test_bank_url="https://example.org/banque-test/",
    )
    answer = urlencode(
        {"transaction_id": started.transaction_id, "amount": "32.00", "ok": "1", "signed": "1"}
    )
    record = payments.record_payment

    def slow_record(**kwargs):
        time.sleep(0.3)
        return record(**kwargs)

    monkeypatch.setattr(payments, "record_payment", slow_record)
    barrier = threading.Barrier(THREADS)
    errors = []

    def notify():
        try:
            barrier.wait(timeout=30)
            online.handle_response(answer, source="notification", office=office)
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=notify) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Payment.objects.count() == 1
    assert Payment.objects.get().amount == Decimal("32.00")
    started.refresh_from_db()
    assert started.state == OnlinePayment.State.PAID
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("32.00")
    outcomes = Counter(
        OnlinePaymentEvent.objects.filter(source="notification").values_list("outcome", flat=True)
    )
    assert outcomes == {"paid": 1, "replay": THREADS - 1}
