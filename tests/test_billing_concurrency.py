"""Invoice numbers under concurrency, on PostgreSQL: unique per régie and year, gap-free.

Threads released together by a barrier, each on its own connection, issue billing runs, make
credit notes, and take numbers in transactions that then fail. Afterwards the invoices' numbers
are exactly 1…N, and so are the payments': none given twice, none lost to a transaction that
rolled back (issues and credit notes also hold the régie's row; payments only the sequence's).
A pause between reading the last number and writing the next makes the race certain rather than
likely: without the sequence's row lock, both runs fail.
"""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection, transaction

from wagtail_family_portal.models import (
    ChildDay,
    DayState,
    Invoice,
    Payment,
    PriceBand,
    PriceGrid,
)
from wagtail_family_portal.services.billing import numbering, payments, runs

from . import factories

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MONTHS = [(dt.date(2027, m, 1), dt.date(2027, m, 28)) for m in range(1, 7)]


def setup_town(families=3):
    municipality = factories.MunicipalityFactory()
    office = factories.BillingOfficeFactory(municipality=municipality)
    school = factories.EstablishmentFactory(municipality=municipality)
    canteen = factories.ActivityFactory(establishment=school, name="Repas école")
    grid = PriceGrid.objects.create(
        activity=canteen, billing_office=office, valid_from=dt.date(2026, 9, 1)
    )
    PriceBand.objects.create(grid=grid, label="tranche unique", price=Decimal("3.20"))
    children = []
    for n in range(families):
        family = factories.FamilyFactory(municipality=municipality, name=f"Famille {n}")
        child = factories.ChildFactory(family=family, first_name=f"Enfant {n}")
        factories.enrol(child, canteen)
        children.append(child)
    for start, _end in MONTHS:
        ChildDay.objects.bulk_create(
            ChildDay(
                child=child,
                activity=canteen,
                date=start + dt.timedelta(days=4),
                state=DayState.BOOKED,
            )
            for child in children
        )
    return office, canteen, children


def at_once(jobs):
    """Run every job in its own thread, released together; returns the unexpected errors."""
    barrier = threading.Barrier(len(jobs))
    errors, lock = [], threading.Lock()

    def run(job):
        try:
            barrier.wait(timeout=30)
            job()
        except Exception as error:
            with lock:
                errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors


class Failed(Exception):
    pass


@pytest.mark.parametrize("pause", [0, 0.05], ids=["as-is", "widened-window"])
def test_numbers_stay_unique_and_gap_free_when_runs_and_credit_notes_issue_at_once(
    monkeypatch, freeze_clock, pause
):
    freeze_clock(dt.datetime(2027, 3, 1, 9, 0))  # the credit notes' year is today's
    # What is queued after commit (PDFs, e-mails) is not the subject here.
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: None)
    office, canteen, children = setup_town()
    drafts = [runs.create_run(office, start, end, user=None) for start, end in MONTHS]
    corrected = [
        factories.issued_invoice(
            office, child.family, [(child, canteen, 2, "3.20")], issue_date=dt.date(2027, 1, 2)
        )
        for child in children
    ]
    if pause:
        locked = numbering._locked_sequence

        def slow_read(*args, **kwargs):
            row = locked(*args, **kwargs)
            time.sleep(pause)  # between reading the last number and writing the next
            return row

        monkeypatch.setattr(numbering, "_locked_sequence", slow_read)

    def issue(run):
        return lambda: runs.issue(run, user=None, issue_date=dt.date(2027, 3, 1))

    def credit(invoice):
        return lambda: runs.credit_note(invoice, amount="3.20", reason="Repas", user=None)

    def take_then_fail():
        try:
            with transaction.atomic():
                numbering.take_numbers(office, "invoice", 2027, 2)
                raise Failed
        except Failed:
            pass

    def pay(invoice):
        return lambda: payments.record_payment(
            office=office,
            family=invoice.family,
            method="cash",
            amount="1.00",
            invoices=[invoice.pk],
            date=dt.date(2027, 3, 1),
        )

    jobs = [issue(run) for run in drafts] + [credit(invoice) for invoice in corrected]
    jobs += [take_then_fail for _ in range(4)] + [pay(invoice) for invoice in corrected] * 2
    errors = at_once(jobs + [issue(run) for run in drafts])  # each run issued twice

    assert errors == []
    sequences = sorted(
        Invoice.objects.filter(billing_office=office, year=2027).values_list("sequence", flat=True)
    )
    expected = len(children) + len(MONTHS) * len(children) + len(corrected)
    assert sequences == list(range(1, expected + 1))
    numbers = list(Invoice.objects.filter(year=2027).values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    # Payments have their own series, as unique and gap-free (credit notes record one each).
    paid = sorted(Payment.objects.filter(billing_office=office).values_list("number", flat=True))
    assert paid == [f"P2027-{n:06d}" for n in range(1, 3 * len(corrected) + 1)]
    # Each run's invoices have consecutive numbers (one lock held for the whole issue).
    for run in drafts:
        own = sorted(run.invoices.values_list("sequence", flat=True))
        assert own == list(range(own[0], own[0] + len(children)))
