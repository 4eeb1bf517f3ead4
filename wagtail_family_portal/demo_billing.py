"""The demo's billing: two régies, their price grids, two months billed, payments, a mandate.

What a town sees first in "Facturation" and a parent in "Mes factures" (CONTRACT.md, "Demo
data"): the canteen and care billed by the "Régie enfance-restauration" (QF bands, an effort
rate, a day attended), the Wednesday leisure centre by the "Régie accueil de loisirs" (outside
price, sibling reduction); the month before last issued, mostly paid (at the desk by card,
Durand by direct debit with his mandate; the Nguyens' still due, now overdue); last month
issued, Martin's invoices to pay, the others too; and an invoice of December of last year,
imported from the town's previous software and paid, so that last year's attestation can be
downloaded. The billed days are the children's days: the demo books those of the past months
for the agent (``ChildDay`` rows as the attendance sheets left them).

Loading again changes nothing: régies and grids are updated in place, a month already billed
is left as it is. The régies give 20 days to pay, so that the month before last is overdue
whatever the day of the month the demo is loaded. In the first weeks of a school year there is
no past month of the season to bill: the demo then shows last December's invoice only.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from .models import (
    Activity,
    BillingOffice,
    BillingRun,
    ChildDay,
    DayState,
    DirectDebitMandate,
    Family,
    Invoice,
    InvoiceLine,
    PriceBand,
    PriceGrid,
)
from .models.billing import money
from .services.billing import numbering, payments, runs, sepa

CANTEEN_BANDS = [
    ("tranche 1", "0", "450", "1.10", "1.60"),
    ("tranche 2", "450.01", "750", "2.35", "3.10"),
    ("tranche 3", "750.01", "1100", "3.40", "4.30"),
    ("tranche 4", "1100.01", None, "4.20", "5.20"),
]
CENTRE_BANDS = [
    ("tranche A", "0", "600", "6.50", None),
    ("tranche B", "600.01", "1000", "9.80", None),
    ("tranche C", "1000.01", None, "13.20", None),
]


def month_before(day: dt.date, months: int = 1) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    for _ in range(months):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def offices(municipality) -> tuple[BillingOffice, BillingOffice]:
    common = {
        "address": "Hôtel de ville\n1 place de la Mairie\n18240 Belleville-sur-Loire",
        "phone": "02 48 72 40 00",
        "siret": "21180025600011",
        "payment_backend": BillingOffice.PaymentBackend.DUMMY,
        "payment_terms_days": 20,
        "reminder_days": 7,
        "footer": (
            "Régie de recettes de la ville de Belleville-sur-Loire — instituée par arrêté du "
            "2 septembre 2019. En cas de difficulté de paiement, contactez le CCAS."
        ),
    }
    canteen, _ = BillingOffice.objects.update_or_create(
        municipality=municipality,
        code="ENF",
        defaults={
            **common,
            "name": "Régie enfance-restauration",
            "email": "regie.enfance@belleville-sur-loire.example.org",
            "payment_instructions": (
                "Paiement en ligne sur l'Espace famille (carte bancaire), par prélèvement, ou "
                "au guichet de la régie (chèque à l'ordre de « Régie enfance Belleville », "
                "espèces, carte, CESU)."
            ),
            "creditor_name": "Régie enfance Belleville-sur-Loire",
            "creditor_identifier": "FR12ZZZ123456",
            "creditor_iban": "FR7630001007941234567890185",
            "creditor_bic": "BDFEFRPPCCT",
        },
    )
    centre, _ = BillingOffice.objects.update_or_create(
        municipality=municipality,
        code="ALSH",
        defaults={
            **common,
            "name": "Régie accueil de loisirs",
            "email": "alsh@belleville-sur-loire.example.org",
            "payment_instructions": (
                "Paiement en ligne sur l'Espace famille, au guichet (chèque, espèces, "
                "chèques-vacances ANCV, CESU) ou par virement."
            ),
        },
    )
    return canteen, centre


def grid(activity, office, season_start, bands=(), **fields) -> PriceGrid:
    obj, created = PriceGrid.objects.update_or_create(
        activity=activity,
        valid_from=season_start,
        defaults={"billing_office": office, **fields},
    )
    if created:
        for label, low, high, price, outside in bands:
            PriceBand.objects.create(
                grid=obj,
                label=label,
                quotient_min=Decimal(low),
                quotient_max=Decimal(high) if high else None,
                price=Decimal(price),
                outside_price=Decimal(outside) if outside else None,
            )
    return obj


def price_grids(activities: dict[str, Activity], canteen, centre, season) -> None:
    for code, activity in activities.items():
        if activity.kind == Activity.Kind.CANTEEN:
            grid(
                activity,
                canteen,
                season.start,
                CANTEEN_BANDS,
                second_child_reduction=Decimal("10"),
                third_child_reduction=Decimal("20"),
                unbooked_surcharge=Decimal("1.50"),
            )
        elif "MATIN" in code:
            grid(
                activity,
                canteen,
                season.start,
                method=PriceGrid.Method.EFFORT_RATE,
                effort_rate=Decimal("0.25"),
                minimum_price=Decimal("0.80"),
                maximum_price=Decimal("2.80"),
                outside_price_increase=Decimal("25"),
            )
        elif "SOIR" in code:
            grid(
                activity,
                canteen,
                season.start,
                method=PriceGrid.Method.EFFORT_RATE,
                unit=PriceGrid.Unit.ATTENDED_DAY,
                effort_rate=Decimal("0.35"),
                minimum_price=Decimal("1.00"),
                maximum_price=Decimal("3.90"),
                unbooked_surcharge=Decimal("2.00"),
            )
        elif activity.kind == Activity.Kind.LEISURE_CENTRE:
            grid(
                activity,
                centre,
                season.start,
                CENTRE_BANDS,
                second_child_reduction=Decimal("15"),
                outside_price_increase=Decimal("30"),
            )


def past_days(families, start: dt.date, end: dt.date) -> None:
    """The days of ``start``–``end`` the attendance sheets left: the children's canteen and
    care booked and marked present, one absence accepted, one no-show."""
    rows = []
    for family in families:
        for child in family.children.all():
            for enrolment in child.enrolments.select_related("activity"):
                activity = enrolment.activity
                if ChildDay.objects.filter(
                    child=child, activity=activity, date__gte=start, date__lte=end
                ).exists():
                    continue
                day = max(start, enrolment.start_date, activity.season_start)
                n = 0
                while day <= min(end, enrolment.end_date, activity.season_end):
                    if activity.runs_on(day) and activity.kind != Activity.Kind.LEISURE_CENTRE:
                        state, presence = DayState.BOOKED, ChildDay.Presence.PRESENT
                        if n == 3:
                            state, presence = DayState.ABSENT, ""
                        elif n == 7:
                            presence = ChildDay.Presence.ABSENT
                        rows.append(
                            ChildDay(
                                child=child,
                                activity=activity,
                                date=day,
                                state=state,
                                presence=presence,
                            )
                        )
                        n += 1
                    elif activity.runs_on(day) and day.day % 2:
                        rows.append(
                            ChildDay(
                                child=child,
                                activity=activity,
                                date=day,
                                state=DayState.BOOKED,
                                presence=ChildDay.Presence.PRESENT,
                            )
                        )
                    day += dt.timedelta(days=1)
    ChildDay.objects.bulk_create(rows, ignore_conflicts=True)


def billed_month(office, start, end, issue_date, agent) -> BillingRun | None:
    run = BillingRun.objects.filter(billing_office=office, period_start=start).first()
    if run is not None:
        return None
    label = start.strftime("%m/%Y")
    run = runs.create_run(office, start, end, user=agent, label=f"Mois {label}")
    if run.invoice_count:
        runs.issue(run, user=agent, issue_date=issue_date, notify=False)
        if run.invoices.filter(direct_debit=True).exists():
            sepa.batch_for_run(run)  # what the task queued by a real issue makes
    return run


def imported_invoice(office, martin: Family, year: int, agent) -> None:
    """An invoice of December of last year, paid, as the previous software left it."""
    start, end = dt.date(year, 12, 1), dt.date(year, 12, 31)
    if Invoice.objects.filter(billing_office=office, family=martin, period_start=start).exists():
        return
    children = list(martin.children.order_by("birth_date"))
    if not children:
        return
    issue_date = dt.date(year, 12, 31)
    with transaction.atomic():
        (sequence,) = numbering.take_numbers(office, numbering.Kind.INVOICE, year, 1)
        invoice = Invoice.objects.create(
            billing_office=office,
            family=martin,
            state=Invoice.State.ISSUED,
            number=numbering.format_number(numbering.Kind.INVOICE, year, sequence),
            year=year,
            sequence=sequence,
            period_start=start,
            period_end=end,
            issue_date=issue_date,
            due_date=issue_date + dt.timedelta(days=30),
            family_name=martin.name,
            addressee="Mme Claire Martin",
            address=martin.postal_address,
            family_quotient=martin.family_quotient,
            quotient_year=martin.quotient_year,
            warnings=["Facture reprise de l'ancien logiciel de la régie."],
        )
        total = Decimal("0.00")
        for position, child in enumerate(children):
            amount = money(Decimal(12) * Decimal("3.40"))
            total += amount
            InvoiceLine.objects.create(
                invoice=invoice,
                child=child,
                kind=InvoiceLine.Kind.BOOKED,
                child_name=f"{child.first_name} {child.last_name}",
                activity_name="Restauration scolaire",
                period_start=start,
                period_end=end,
                quantity=12,
                unit_price=Decimal("3.40"),
                amount=amount,
                basis="QF 842,5 → tranche 3",
                position=position,
            )
        Invoice.objects.filter(pk=invoice.pk).update(total=total)
    payments.record_payment(
        office=office,
        family=martin,
        method="card",
        amount=total,
        invoices=[invoice.pk],
        date=dt.date(year, 12, 28) if issue_date.day > 28 else issue_date,
        reference="TPE régie",
        user=agent,
    )


def load_billing(municipality, activities, season, martin, durand, others, agent, today):
    """Everything billing the demo shows; ``today`` is the demo's day."""
    canteen, centre = offices(municipality)
    price_grids(activities, canteen, centre, season)
    guardian = durand.guardians.exclude(iban="").first()
    if guardian is not None and not DirectDebitMandate.objects.filter(family=durand).exists():
        DirectDebitMandate.objects.create(
            family=durand,
            guardian=guardian,
            billing_office=canteen,
            reference=f"ENF-{durand.pk:06d}-1",
            signed_on=season.start,
            iban=guardian.iban,
            bic=guardian.bic,
            account_holder=guardian.account_holder,
        )
    families = [martin, durand, *others]
    before_last = month_before(today, 2)
    last = month_before(today, 1)
    for start, end in (before_last, last):
        if start < season.start and end < season.start:
            continue
        past_days(families, max(start, season.start), min(end, today - dt.timedelta(days=1)))
    imported_invoice(canteen, martin, today.year - 1, agent)
    issued = []
    for start, end in (before_last, last):
        if end < season.start:
            continue
        issue_date = end + dt.timedelta(days=1)
        for office in (canteen, centre):
            run = billed_month(office, max(start, season.start), end, issue_date, agent)
            if run is not None:
                issued.append(run)
    # The month before last: paid at the desk (Durand's went by direct debit with the run's
    # file); the Nguyens' are still due (overdue).
    for run in issued:
        if run.period_start != max(before_last[0], season.start):
            continue
        for invoice in run.invoices.filter(state=Invoice.State.ISSUED).select_related("family"):
            if invoice.family.name == "Nguyen" or invoice.balance <= 0:
                continue
            payments.record_payment(
                office=run.billing_office,
                family=invoice.family,
                method="card",
                amount=invoice.balance,
                invoices=[invoice.pk],
                date=min(invoice.issue_date + dt.timedelta(days=9), today),
                reference="TPE régie",
                user=agent,
            )
