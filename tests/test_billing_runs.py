"""Pricing and billing runs: each rule of what is billed, drafts, recompute, issue, credit notes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from wagtail_family_portal.models import (
    BillingRun,
    BookingLine,
    ChildDay,
    DayState,
    Invoice,
    InvoiceLine,
    PriceBand,
    PriceGrid,
    Request,
    UnbookedPresence,
)
from wagtail_family_portal.models.billing import check_bands
from wagtail_family_portal.services.billing import BillingError, payments, runs
from wagtail_family_portal.services.billing.pricing import Pricer

from . import factories

pytestmark = pytest.mark.django_db

NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
# Mondays, Tuesdays, Thursdays and Fridays of November 2026 (the canteen's days): 17 days.
CANTEEN_DAYS = [
    dt.date(2026, 11, d) for d in range(1, 31) if dt.date(2026, 11, d).weekday() in (0, 1, 3, 4)
]


def grid_with_bands(activity, office, **options):
    grid = PriceGrid.objects.create(
        activity=activity, billing_office=office, valid_from=dt.date(2026, 9, 1), **options
    )
    PriceBand.objects.create(
        grid=grid, label="tranche 1", quotient_max=Decimal("500"), price="2.00"
    )
    PriceBand.objects.create(
        grid=grid,
        label="tranche 2",
        quotient_min=Decimal("500.01"),
        quotient_max=Decimal("1000"),
        price="3.20",
        outside_price="4.10",
    )
    PriceBand.objects.create(
        grid=grid, label="tranche 3", quotient_min=Decimal("1000.01"), price="4.50"
    )
    return grid


def set_days(child, activity, dates, state=DayState.BOOKED, presence="", **options):
    late = options.pop("late", False)
    line = None
    if state == DayState.ABSENT:
        request = Request.objects.create(
            family=child.family, kind="absence", topic="absence", state="accepted"
        )
        line = None
        for date in dates:
            line = BookingLine.objects.create(
                request=request,
                child=child,
                activity=activity,
                date=date,
                operation="absence",
                state="accepted",
                after_deadline=late,
            )
            ChildDay.objects.create(
                child=child,
                activity=activity,
                date=date,
                state=state,
                line=line,
                presence=presence,
                **options,
            )
        return
    ChildDay.objects.bulk_create(
        [
            ChildDay(
                child=child, activity=activity, date=date, state=state, presence=presence, **options
            )
            for date in dates
        ]
    )


@pytest.fixture
def priced(family, office, canteen):
    family.family_quotient = Decimal("620")
    family.quotient_year = 2026
    family.save()
    return grid_with_bands(canteen, office)


def lines_of(run):
    return list(
        InvoiceLine.objects.filter(invoice__run=run)
        .order_by("child_name", "kind")
        .values_list("child_name", "kind", "quantity", "unit_price", "amount", "basis")
    )


def make_run(office, user=None):
    return runs.create_run(office, *NOVEMBER, user=user, label="Novembre 2026")


# Pricing


def test_the_band_of_the_familys_quotient_gives_the_price(priced):
    pricer = Pricer(priced)
    price = pricer.price(Decimal("620"), False)
    assert (price.unit_price, price.basis) == (Decimal("3.20"), "QF 620 → tranche 2")
    assert pricer.price(Decimal("500"), False).unit_price == Decimal("2.00")
    assert pricer.price(Decimal("1500"), False).unit_price == Decimal("4.50")


def test_a_family_without_quotient_pays_the_chosen_band_with_a_warning(priced):
    assert Pricer(priced).price(None, False).unit_price == Decimal("4.50")
    PriceBand.objects.filter(grid=priced, label="tranche 2").update(for_missing_quotient=True)
    price = Pricer(PriceGrid.objects.get(pk=priced.pk)).price(None, False)
    assert price.unit_price == Decimal("3.20")
    assert "tranche 2" in price.warning


def test_outside_the_municipality_pays_the_outside_price_or_the_increase(priced):
    priced.outside_price_increase = Decimal("20")
    assert Pricer(priced).price(Decimal("620"), True).unit_price == Decimal("4.10")
    assert Pricer(priced).price(Decimal("1500"), True).unit_price == Decimal("5.40")


def test_the_second_and_third_child_get_their_reductions(priced):
    priced.second_child_reduction = Decimal("10")
    priced.third_child_reduction = Decimal("25")
    pricer = Pricer(priced)
    assert pricer.price(Decimal("620"), False, rank=2).unit_price == Decimal("2.88")
    assert pricer.price(Decimal("620"), False, rank=3).unit_price == Decimal("2.40")


def test_effort_rate_is_kept_between_its_bounds(canteen, office):
    grid = PriceGrid(
        activity=canteen,
        billing_office=office,
        valid_from=dt.date(2026, 9, 1),
        method=PriceGrid.Method.EFFORT_RATE,
        effort_rate=Decimal("0.5"),
        minimum_price=Decimal("1.00"),
        maximum_price=Decimal("5.00"),
    )
    pricer = Pricer(grid, bands=[])
    assert pricer.price(Decimal("620"), False).unit_price == Decimal("3.10")
    assert pricer.price(Decimal("100"), False).unit_price == Decimal("1.00")
    assert pricer.price(Decimal("2000"), False).unit_price == Decimal("5.00")
    no_qf = pricer.price(None, False)
    assert no_qf.unit_price == Decimal("5.00") and no_qf.warning


def test_rounding_is_half_up_on_the_unit_price(canteen, office):
    grid = PriceGrid(
        activity=canteen,
        billing_office=office,
        valid_from=dt.date(2026, 9, 1),
        method=PriceGrid.Method.EFFORT_RATE,
        effort_rate=Decimal("0.5"),
    )
    # 0.5 % of 621 = 3.105 → 3.11 (half-up, where banker's rounding would give 3.10).
    assert Pricer(grid, bands=[]).price(Decimal("621"), False).unit_price == Decimal("3.11")


def test_bands_with_gaps_or_overlaps_are_refused(priced):
    bands = list(priced.bands.all())
    assert check_bands(bands) == []
    bands[1].quotient_min = Decimal("600")
    assert any("trou" in error for error in check_bands(bands))  # a gap
    bands[1].quotient_min = Decimal("400")
    assert any("chevauchent" in error for error in check_bands(bands))


def test_overlapping_grids_are_refused(priced, canteen, office):
    second = PriceGrid(activity=canteen, billing_office=office, valid_from=dt.date(2027, 1, 1))
    with pytest.raises(ValidationError) as refused:
        second.full_clean()
    assert "valid_from" in refused.value.message_dict
    priced.valid_until = dt.date(2026, 12, 31)
    priced.save()
    second.full_clean()


# What is billed


def test_booked_days_are_billed_at_the_familys_price(priced, office, lea, canteen):
    set_days(lea, canteen, CANTEEN_DAYS)
    run = make_run(office)
    assert run.invoice_count == 1
    assert lines_of(run) == [
        (
            "Léa Martin",
            "booked",
            Decimal("17"),
            Decimal("3.20"),
            Decimal("54.40"),
            "QF 620 → tranche 2",
        )
    ]
    invoice = run.invoices.get()
    assert (invoice.state, invoice.number, invoice.total) == ("draft", "", Decimal("54.40"))
    assert invoice.family_quotient == Decimal("620")


def test_each_kind_of_day_follows_its_rule(priced, office, lea, canteen):
    days = iter(CANTEEN_DAYS)
    set_days(lea, canteen, [next(days), next(days)])  # booked
    set_days(lea, canteen, [next(days)], state=DayState.ABSENT)  # absence in time
    set_days(lea, canteen, [next(days), next(days)], state=DayState.ABSENT, late=True)
    set_days(lea, canteen, [next(days)], state=DayState.ABSENT, late=True, absence_justified=True)
    set_days(lea, canteen, [next(days)], presence="absent")  # no-show
    set_days(lea, canteen, [next(days)], presence="absent", absence_justified=True)
    set_days(lea, canteen, [next(days)], state=DayState.REFUSED)
    set_days(lea, canteen, [next(days)], state=DayState.WAITING_LIST)
    set_days(lea, canteen, [next(days)], state=DayState.BOOKING_REQUESTED)
    UnbookedPresence.objects.create(child=lea, activity=canteen, date=next(days))
    priced.unbooked_surcharge = Decimal("1.50")
    priced.save()
    run = make_run(office)
    assert {line[1]: (line[2], line[3]) for line in lines_of(run)} == {
        "booked": (Decimal("2"), Decimal("3.20")),
        "late_absence": (Decimal("2"), Decimal("3.20")),
        "no_show": (Decimal("1"), Decimal("3.20")),
        "unbooked": (Decimal("1"), Decimal("4.70")),
    }
    invoice = run.invoices.get()
    assert invoice.total == Decimal("6.40") + Decimal("6.40") + Decimal("3.20") + Decimal("4.70")
    assert any("waiting for a decision" in w or "attente" in w for w in invoice.warnings)


def test_a_grid_may_not_bill_late_absences_nor_no_shows(priced, office, lea, canteen):
    priced.bill_late_absences = False
    priced.bill_no_shows = False
    priced.save()
    set_days(lea, canteen, CANTEEN_DAYS[:2], state=DayState.ABSENT, late=True)
    set_days(lea, canteen, CANTEEN_DAYS[2:3], presence="absent")
    set_days(lea, canteen, CANTEEN_DAYS[3:4])
    run = make_run(office)
    assert [line[1] for line in lines_of(run)] == ["booked"]


def test_per_day_attended_bills_only_the_days_marked_present(priced, office, lea, canteen):
    priced.unit = PriceGrid.Unit.ATTENDED_DAY
    priced.save()
    set_days(lea, canteen, CANTEEN_DAYS[:3], presence="present")
    set_days(lea, canteen, CANTEEN_DAYS[3:5])
    run = make_run(office)
    assert [(line[1], line[2]) for line in lines_of(run)] == [("attended", Decimal("3"))]
    assert any("not marked" in w or "pointée" in w for w in run.invoices.get().warnings)


def test_closed_days_are_not_billed(priced, office, municipality, lea, canteen):
    set_days(lea, canteen, CANTEEN_DAYS[:4])
    factories.ClosureFactory(
        municipality=municipality, start_date=CANTEEN_DAYS[0], end_date=CANTEEN_DAYS[1]
    )
    run = make_run(office)
    assert lines_of(run)[0][2] == Decimal("2")


def test_a_monthly_fee_bills_each_enrolled_child_once_a_month(priced, office, lea, canteen):
    priced.unit = PriceGrid.Unit.MONTHLY
    priced.save()
    run = make_run(office)
    assert [(line[1], line[2], line[4]) for line in lines_of(run)] == [
        ("monthly", Decimal("1"), Decimal("3.20"))
    ]


def test_siblings_are_ranked_oldest_first(priced, office, family, lea, hugo, canteen):
    priced.second_child_reduction = Decimal("50")
    priced.save()
    lea.birth_date = dt.date(2018, 5, 1)
    lea.save()
    factories.enrol(hugo, canteen)
    set_days(lea, canteen, CANTEEN_DAYS[:2])
    set_days(hugo, canteen, CANTEEN_DAYS[:2])
    run = make_run(office)
    assert {line[0]: line[3] for line in lines_of(run)} == {
        "Léa Martin": Decimal("3.20"),
        "Hugo Martin": Decimal("1.60"),
    }


def test_a_family_without_quotient_is_a_warning_on_the_run(priced, office, family, lea, canteen):
    family.family_quotient = None
    family.save()
    set_days(lea, canteen, CANTEEN_DAYS[:2])
    run = make_run(office)
    assert run.warning_count == 1
    assert runs.run_summary(run)["warnings"][0][0] == "Martin"


def test_another_regies_activities_and_towns_are_not_billed(
    priced, office, lea, canteen, other_family
):
    other_child = factories.ChildFactory(family=other_family)
    set_days(other_child, canteen, CANTEEN_DAYS[:2])
    set_days(lea, canteen, CANTEEN_DAYS[:1])
    run = make_run(office)
    assert list(run.invoices.values_list("family_name", flat=True)) == ["Martin"]


# Drafts, recompute, issue


def test_recompute_follows_a_correction(priced, office, lea, canteen):
    set_days(lea, canteen, CANTEEN_DAYS[:3])
    run = make_run(office)
    ChildDay.objects.filter(date=CANTEEN_DAYS[0]).update(state=DayState.ABSENT)
    runs.compute(run)
    assert run.invoices.get().total == Decimal("6.40")
    assert Invoice.objects.count() == 1


def test_two_runs_of_one_regie_cannot_cover_the_same_days(priced, office):
    make_run(office)
    with pytest.raises(BillingError):
        runs.create_run(office, dt.date(2026, 11, 15), dt.date(2026, 12, 15), user=None)


def test_issue_numbers_freezes_and_queues_the_documents(
    priced,
    office,
    family,
    lea,
    canteen,
    neighbour_family,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    neighbour, zoe = neighbour_family
    factories.enrol(zoe, canteen)
    set_days(lea, canteen, CANTEEN_DAYS[:2])
    set_days(zoe, canteen, CANTEEN_DAYS[:1])
    run = make_run(office)
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        runs.issue(run, user=None, issue_date=dt.date(2026, 12, 1))
    numbers = dict(run.invoices.values_list("family_name", "number"))
    assert numbers == {"Durand": "2026-000001", "Martin": "2026-000002"}
    invoice = run.invoices.get(family=family)
    assert invoice.due_date == dt.date(2026, 12, 31)
    in_number_order = list(run.invoices.order_by("sequence").values_list("pk", flat=True))
    assert queued == [(runs.ISSUED_TASK, in_number_order)]
    # Issuing again does nothing; the issued invoice is frozen.
    with django_capture_on_commit_callbacks(execute=True):
        runs.issue(run, user=None)
    assert len(queued) == 1
    invoice.total = Decimal("1.00")
    with pytest.raises(ValidationError):
        invoice.save()
    with pytest.raises(ValidationError):
        invoice.delete()
    with pytest.raises(ValidationError):
        invoice.lines.first().delete()
    with pytest.raises(ValidationError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).delete()
    assert invoice.lines.count() == 1
    with pytest.raises(BillingError):
        runs.compute(run)
    assert BillingRun.objects.get(pk=run.pk).state == "issued"


def test_credit_pays_the_next_invoice_at_issue(priced, office, family, lea, canteen):
    old = factories.issued_invoice(office, family, [(lea, canteen, 1, "3.20")])
    payments.record_payment(
        office=office,
        family=family,
        method="cheque",
        amount="10",
        invoices=[old.pk],
        allow_credit=True,
    )
    set_days(lea, canteen, CANTEEN_DAYS[:2])
    run = make_run(office)
    runs.issue(run, user=None, issue_date=dt.date(2026, 12, 1))
    invoice = run.invoices.get()
    assert (invoice.total, invoice.paid_amount) == (Decimal("6.40"), Decimal("6.40"))
    assert payments.family_credit(office, family) == Decimal("0.40")


def test_a_family_with_a_mandate_is_paid_by_direct_debit(
    priced, office, family, claire, lea, canteen
):
    from wagtail_family_portal.models import DirectDebitMandate

    DirectDebitMandate.objects.create(
        family=family,
        guardian=claire,
        billing_office=office,
        reference="ENF-1",
        signed_on=dt.date(2026, 9, 1),
        iban="FR7630006000011234567890189",
        account_holder="Claire Martin",
    )
    set_days(lea, canteen, CANTEEN_DAYS[:2])
    run = make_run(office)
    runs.issue(run, user=None, issue_date=dt.date(2026, 12, 1))
    invoice = run.invoices.get()
    assert invoice.direct_debit and invoice.debit_date == dt.date(2026, 12, 11)


def test_an_empty_run_cannot_be_issued(priced, office):
    run = make_run(office)
    with pytest.raises(BillingError):
        runs.issue(run, user=None)


# Credit notes


def test_a_credit_note_references_the_invoice_and_settles_it(office, family, lea, canteen):
    invoice = factories.issued_invoice(office, family, [(lea, canteen, 10, "3.20")])
    note = runs.credit_note(invoice, amount="6.40", reason="Deux repas non servis", user=None)
    invoice.refresh_from_db()
    assert (note.kind, note.corrects, note.number) == ("credit_note", invoice, "2026-000002")
    assert invoice.balance == Decimal("25.60")
    assert invoice.state == "issued"
    rest = runs.credit_note(invoice, reason="Annulation", user=None)
    invoice.refresh_from_db()
    assert rest.total == Decimal("25.60")
    assert invoice.state == "cancelled" and invoice.status == "cancelled"
    with pytest.raises(BillingError):
        runs.credit_note(invoice, reason="Encore", user=None)


def test_a_credit_note_on_a_paid_invoice_becomes_credit(office, family, lea, canteen):
    invoice = factories.issued_invoice(office, family, [(lea, canteen, 10, "3.20")])
    payments.record_payment(
        office=office, family=family, method="cash", amount="32", invoices=[invoice.pk]
    )
    runs.credit_note(invoice, amount="3.20", reason="Repas non servi", user=None)
    assert payments.family_credit(office, family) == Decimal("3.20")


@pytest.mark.parametrize("amount", ["0", "-1", "40", "x"])
def test_bad_credit_notes_are_refused(office, family, lea, canteen, amount):
    invoice = factories.issued_invoice(office, family, [(lea, canteen, 10, "3.20")])
    with pytest.raises(BillingError):
        runs.credit_note(invoice, amount=amount, reason="Erreur", user=None)
    with pytest.raises(BillingError):
        runs.credit_note(invoice, amount="1", reason="  ", user=None)
    assert Invoice.objects.count() == 1


def test_drafts_and_issue_cost_the_same_queries_for_3_or_30_families(
    priced, office, municipality, canteen, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: None)
    counts = []
    for size, month in ((3, 1), (30, 2)):
        for n in range(size):
            family = factories.FamilyFactory(municipality=municipality, name=f"F{month}-{n}")
            child = factories.ChildFactory(family=family)
            factories.enrol(child, canteen)
            set_days(child, canteen, [dt.date(2027, month, 4), dt.date(2027, month, 5)])
        with CaptureQueriesContext(connection) as drafts:
            run = runs.create_run(
                office, dt.date(2027, month, 1), dt.date(2027, month, 28), user=None
            )
        with CaptureQueriesContext(connection) as issued:
            # Each issue the first of its year: both create their year's numbering row.
            runs.issue(run, user=None, issue_date=dt.date(2027 + month, 3, 1))
        assert run.invoice_count == size
        counts.append((len(drafts), len(issued)))
    assert counts[0] == counts[1]
