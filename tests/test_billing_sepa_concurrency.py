"""The direct-debit file of a run under concurrency, on PostgreSQL: two workers making it at
once (the task queued twice, a retry) make one file and one payment per invoice."""

import datetime as dt

import pytest

from wagtail_family_portal.models import BillingRun, DirectDebitBatch, Invoice, Payment
from wagtail_family_portal.services.billing import sepa

from . import factories
from .test_billing_concurrency import at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("private_root"),
]


def test_two_workers_make_one_file(fixed_now):
    municipality = factories.MunicipalityFactory()
    office = factories.BillingOfficeFactory(municipality=municipality)
    activity = factories.ActivityFactory(
        establishment=factories.EstablishmentFactory(municipality=municipality)
    )
    run = BillingRun.objects.create(
        billing_office=office,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        state=BillingRun.State.ISSUED,
    )
    for n in range(3):
        family = factories.FamilyFactory(municipality=municipality, name=f"Famille {n}")
        child = factories.ChildFactory(family=family)
        guardian = factories.GuardianFactory(family=family, iban="FR1420041010050500013M02606")
        sepa.create_mandate(family, guardian, office, signed_on=dt.date(2026, 11, 1))
        invoice = factories.issued_invoice(office, family, [(child, activity, n + 1, "3.20")])
        Invoice.objects.filter(pk=invoice.pk).update(
            run=run, direct_debit=True, debit_date=dt.date(2026, 12, 11)
        )

    errors = at_once([lambda: sepa.batch_for_run(run)] * 2)

    assert errors == []
    assert DirectDebitBatch.objects.filter(run=run).count() == 1
    assert Payment.objects.filter(debit_batch__run=run).count() == 3
    assert all(invoice.balance == 0 for invoice in Invoice.objects.filter(run=run))
