"""Billing runs: the drafts of a period computed from the children's days, then issued.

A run belongs to a régie and covers a period (usually a month). ``create_run`` and ``compute``
write one draft ``Invoice`` per family with something to bill, with its lines; agents review
them, correct the days or the grids, ``compute`` again, and ``issue`` the run in one step.

What is billed, per activity and per the grid valid on the day (docs/billing.md):

- a booked day (``booked``; an absence still waiting for a decision too, with a warning):
  billed — per day booked, or per day attended when the grid's unit says so (then only the
  days marked present);
- a booked day the staff marked absent (no-show): billed when the grid bills no-shows, unless
  the absence is justified;
- an accepted absence: not billed, unless it was asked after the deadline (an agent did it
  for the family) and the grid bills late absences, and it is not justified;
- a presence without a booking: billed at the day's price plus the grid's surcharge;
- a booking waiting for a decision, refused, on the waiting list: never billed (a booking
  still waiting is a warning: decide it before issuing);
- a closed day: never billed;
- a flat monthly fee: one per child enrolled in the activity during each month of the period.

Reads are set-based: families are taken in batches (``BATCH_SIZE``), and each batch costs the
same few queries whatever its number of days (an aggregate of the days grouped by child,
activity, grid and what was billed), then one bulk insert of invoices and one of lines.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from ... import clock
from ...models import (
    BillingRun,
    Child,
    ChildDay,
    Closure,
    DayState,
    DirectDebitMandate,
    Enrolment,
    Family,
    Guardian,
    Invoice,
    InvoiceLine,
    PriceGrid,
    UnbookedPresence,
)
from ...models.billing import ZERO, money
from . import numbering, payments
from .errors import BillingError
from .pricing import Pricer

BATCH_SIZE = 500
ISSUED_TASK = "wagtail_family_portal.tasks.invoices_issued"
DEBIT_TASK = "wagtail_family_portal.tasks.direct_debit_file"
Kind = InvoiceLine.Kind
Presence = ChildDay.Presence


def _months(start: dt.date, end: dt.date):
    """(first day, last day) of each month the period touches, clipped to the period."""
    cursor = start.replace(day=1)
    while cursor <= end:
        following = (cursor + dt.timedelta(days=32)).replace(day=1)
        yield max(cursor, start), min(following - dt.timedelta(days=1), end)
        cursor = following


@dataclass
class _Grid:
    grid: PriceGrid
    pricer: Pricer
    start: dt.date
    end: dt.date


class _Plan:
    """What a run reads once: the grids of the régie over the period, the closures."""

    def __init__(self, run: BillingRun):
        self.run = run
        office = run.billing_office
        grids = (
            PriceGrid.objects.filter(billing_office=office, valid_from__lte=run.period_end)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=run.period_start))
            .select_related("activity")
            .prefetch_related("bands")
            .order_by("activity_id", "valid_from")
        )
        self.grids: dict[int, _Grid] = {}
        for grid in grids:
            self.grids[grid.pk] = _Grid(
                grid,
                Pricer(grid, list(grid.bands.all())),
                max(grid.valid_from, run.period_start),
                min(grid.valid_until or run.period_end, run.period_end),
            )
        self.activity_ids = sorted({g.grid.activity_id for g in self.grids.values()})
        self.closed = Q()
        closures = Closure.objects.filter(
            municipality_id=office.municipality_id,
            start_date__lte=run.period_end,
            end_date__gte=run.period_start,
        ).prefetch_related("activities")
        for closure in closures:
            condition = Q(date__gte=closure.start_date, date__lte=closure.end_date)
            only = [activity.pk for activity in closure.activities.all()]
            if only:
                condition &= Q(activity_id__in=only)
            self.closed |= condition

    def open_days(self, queryset):
        """``queryset`` without the days of a closure."""
        return queryset.exclude(self.closed) if self.closed else queryset

    def grid_case(self, prefix=""):
        """SQL: the id of the grid valid for a row's activity and date (NULL: none)."""
        whens = [
            When(
                **{
                    f"{prefix}activity_id": g.grid.activity_id,
                    f"{prefix}date__gte": g.start,
                    f"{prefix}date__lte": g.end,
                },
                then=Value(pk),
            )
            for pk, g in self.grids.items()
        ]
        return Case(*whens, default=None, output_field=IntegerField())

    def family_ids(self) -> list[int]:
        """Families with something in the period for the régie's activities."""
        if not self.grids:
            return []
        run = self.run
        days = (
            ChildDay.objects.filter(
                activity_id__in=self.activity_ids,
                date__gte=run.period_start,
                date__lte=run.period_end,
            )
            .values_list("child__family_id", flat=True)
            .distinct()
        )
        extra = UnbookedPresence.objects.filter(
            activity_id__in=self.activity_ids,
            date__gte=run.period_start,
            date__lte=run.period_end,
        ).values_list("child__family_id", flat=True)
        ids = set(days) | set(extra)
        monthly = [g for g in self.grids.values() if g.grid.unit == PriceGrid.Unit.MONTHLY]
        if monthly:
            enrolled = Q()
            for g in monthly:
                enrolled |= Q(
                    activity_id=g.grid.activity_id, start_date__lte=g.end, end_date__gte=g.start
                )
            ids |= set(
                Enrolment.objects.filter(enrolled).values_list("child__family_id", flat=True)
            )
        return sorted(
            Family.objects.filter(
                pk__in=ids, municipality_id=run.billing_office.municipality_id
            ).values_list("pk", flat=True)
        )


def _classify(grid: PriceGrid, state, presence, justified, late):
    """The line kind a group of days is billed as, or None (not billed), and a warning key."""
    attended_only = grid.unit == PriceGrid.Unit.ATTENDED_DAY
    if state in (DayState.BOOKED, DayState.ABSENCE_REQUESTED):
        pending = "absence_pending" if state == DayState.ABSENCE_REQUESTED else ""
        if presence == Presence.ABSENT:
            if grid.bill_no_shows and not justified:
                return Kind.NO_SHOW, pending
            return None, pending
        if attended_only:
            if presence == Presence.PRESENT:
                return Kind.ATTENDED, pending
            return None, "presence_unmarked"
        return Kind.BOOKED, pending
    if state == DayState.ABSENT:
        if late and grid.bill_late_absences and not justified:
            return Kind.LATE_ABSENCE, ""
        return None, ""
    if state == DayState.BOOKING_REQUESTED:
        return None, "booking_pending"
    return None, ""


WARNINGS = {
    "absence_pending": lambda n, child, activity: (
        _(
            "%(child)s, %(activity)s: %(count)d absence(s) still waiting for a decision, billed as "
            "booked."
        )
        % {"child": child, "activity": activity, "count": n}
    ),
    "booking_pending": lambda n, child, activity: (
        _("%(child)s, %(activity)s: %(count)d booking(s) still waiting for a decision, not billed.")
        % {"child": child, "activity": activity, "count": n}
    ),
    "presence_unmarked": lambda n, child, activity: (
        _("%(child)s, %(activity)s: presence not marked on %(count)d booked day(s), not billed.")
        % {"child": child, "activity": activity, "count": n}
    ),
}


@dataclass
class _Family:
    """What a run reads of a family (plain values: no model instance per family)."""

    pk: int
    name: str
    quotient: object
    quotient_year: int | None
    lives_outside: bool
    address: str
    addressee: str = ""


@dataclass
class _Child:
    pk: int
    family_id: int
    name: str
    first_name: str
    birth_date: dt.date | None


def _read_families(family_ids):
    """The batch's families, their first guardian as addressee, and their children: three
    queries of plain values."""
    families = {}
    for pk, name, quotient, year, outside, line1, line2, postcode, city in Family.objects.filter(
        pk__in=family_ids
    ).values_list(
        "pk",
        "name",
        "family_quotient",
        "quotient_year",
        "lives_outside",
        "address_line1",
        "address_line2",
        "postcode",
        "city",
    ):
        lines = [line1, line2, f"{postcode} {city}".strip()]
        address = "\n".join(line for line in lines if line)
        families[pk] = _Family(pk, name, quotient, year, outside, address)
    guardians = (
        Guardian.objects.filter(family_id__in=family_ids)
        .order_by("family_id", "pk")
        .values_list("family_id", "civility", "first_name", "last_name")
    )
    for family_id, civility, first_name, last_name in guardians:
        family = families[family_id]
        if not family.addressee:
            title = Guardian.Civility(civility).label if civility else ""
            family.addressee = f"{title} {first_name} {last_name}".strip()
    children = {
        pk: _Child(pk, family_id, f"{first_name} {last_name}", first_name, birth_date)
        for pk, family_id, first_name, last_name, birth_date in Child.objects.filter(
            family_id__in=family_ids
        ).values_list("pk", "family_id", "first_name", "last_name", "birth_date")
    }
    return families, children


def _compute_batch(plan: _Plan, family_ids: list[int]) -> tuple[list, list]:
    """The draft invoices (unsaved) and their lines for ``family_ids``, in a few queries."""
    run = plan.run
    families, children = _read_families(family_ids)
    child_ids = list(children)
    window = Q(
        activity_id__in=plan.activity_ids, date__gte=run.period_start, date__lte=run.period_end
    )
    counts = defaultdict(int)  # (child, activity, grid, kind) → days
    pending = defaultdict(int)  # (child, activity, warning) → days
    days = (
        plan.open_days(ChildDay.objects.filter(window, child_id__in=child_ids))
        .annotate(grid_id=plan.grid_case())
        .filter(grid_id__isnull=False)
        .values_list(
            "child_id",
            "activity_id",
            "grid_id",
            "state",
            "presence",
            "absence_justified",
            "line__after_deadline",
        )
        .annotate(days=Count("pk"))
        .order_by()
    )
    for child_id, activity_id, grid_id, state, presence, justified, late, n in days:
        grid = plan.grids[grid_id].grid
        if grid.unit == PriceGrid.Unit.MONTHLY:
            continue
        kind, warning = _classify(grid, state, presence, justified, bool(late))
        if kind is not None:
            counts[(child_id, activity_id, grid_id, kind)] += n
        if warning:
            pending[(child_id, activity_id, warning)] += n
    extra = (
        plan.open_days(UnbookedPresence.objects.filter(window, child_id__in=child_ids))
        .annotate(grid_id=plan.grid_case())
        .filter(grid_id__isnull=False)
        .values_list("child_id", "activity_id", "grid_id")
        .annotate(days=Count("pk"))
        .order_by()
    )
    for child_id, activity_id, grid_id, n in extra:
        if plan.grids[grid_id].grid.unit != PriceGrid.Unit.MONTHLY:
            counts[(child_id, activity_id, grid_id, Kind.UNBOOKED)] += n
    monthly = [g for g in plan.grids.values() if g.grid.unit == PriceGrid.Unit.MONTHLY]
    monthly_lines = []  # (child, activity, grid, month start, month end)
    if monthly:
        enrolments = list(
            Enrolment.objects.filter(
                child_id__in=child_ids,
                activity_id__in={g.grid.activity_id for g in monthly},
                start_date__lte=run.period_end,
                end_date__gte=run.period_start,
            ).values_list("child_id", "activity_id", "start_date", "end_date")
        )
        for g in monthly:
            for start, end in _months(g.start, g.end):
                seen = set()
                for child_id, activity_id, e_start, e_end in enrolments:
                    if activity_id != g.grid.activity_id or (child_id in seen):
                        continue
                    if e_start <= end and e_end >= start:
                        seen.add(child_id)
                        monthly_lines.append((child_id, activity_id, g.grid.pk, start, end))
    # Rank of each child among the family's children billed for the activity, oldest first.
    billed = defaultdict(set)  # (family, activity) → children
    child_family = {child.pk: child.family_id for child in children.values()}
    for child_id, activity_id, _grid, _kind in counts:
        billed[(child_family[child_id], activity_id)].add(child_id)
    for child_id, activity_id, _grid, _s, _e in monthly_lines:
        billed[(child_family[child_id], activity_id)].add(child_id)

    def rank(child_id, activity_id):
        siblings = sorted(
            billed[(child_family[child_id], activity_id)],
            key=lambda pk: (children[pk].birth_date or dt.date.max, pk),
        )
        return siblings.index(child_id) + 1

    lines_by_family = defaultdict(list)
    warnings_by_family = defaultdict(list)
    for (child_id, activity_id, grid_id, kind), quantity in sorted(counts.items()):
        family = families[child_family[child_id]]
        g = plan.grids[grid_id]
        price = g.pricer.price(family.quotient, family.lives_outside, rank(child_id, activity_id))
        unit_price = price.unit_price
        basis = price.basis
        if kind == Kind.UNBOOKED and g.grid.unbooked_surcharge:
            unit_price = money(unit_price + g.grid.unbooked_surcharge)
            basis += " · " + _("surcharge %(amount)s €") % {"amount": g.grid.unbooked_surcharge}
        lines_by_family[family.pk].append(
            (
                children[child_id],
                g.grid.activity_id,
                kind,
                g.start,
                g.end,
                quantity,
                unit_price,
                basis,
                price.warning,
            )
        )
        if price.warning and price.warning not in warnings_by_family[family.pk]:
            warnings_by_family[family.pk].append(price.warning)
    for child_id, activity_id, grid_id, start, end in monthly_lines:
        family = families[child_family[child_id]]
        g = plan.grids[grid_id]
        price = g.pricer.price(family.quotient, family.lives_outside, rank(child_id, activity_id))
        lines_by_family[family.pk].append(
            (
                children[child_id],
                g.grid.activity_id,
                Kind.MONTHLY,
                start,
                end,
                1,
                price.unit_price,
                price.basis,
                price.warning,
            )
        )
        if price.warning and price.warning not in warnings_by_family[family.pk]:
            warnings_by_family[family.pk].append(price.warning)
    activities = {g.grid.activity_id: g.grid.activity for g in plan.grids.values()}
    for (child_id, activity_id, warning), n in sorted(pending.items()):
        child = children[child_id]
        warnings_by_family[child_family[child_id]].append(
            WARNINGS[warning](n, child.first_name, activities[activity_id].name)
        )

    invoices, lines = [], []
    now = timezone.now()
    for family_id in family_ids:
        family = families.get(family_id)
        rows = lines_by_family.get(family_id)
        if family is None or not rows:
            continue
        invoice = Invoice(
            billing_office=run.billing_office,
            family_id=family.pk,
            run=run,
            period_start=run.period_start,
            period_end=run.period_end,
            family_name=family.name,
            addressee=family.addressee or _("Family %(name)s") % {"name": family.name},
            address=family.address,
            family_quotient=family.quotient,
            quotient_year=family.quotient_year,
            lives_outside=family.lives_outside,
            warnings=warnings_by_family.get(family_id, []),
            created_at=now,
        )
        total = ZERO
        for position, row in enumerate(rows):
            child, activity_id, kind, start, end, quantity, unit_price, basis, warning = row
            amount = money(quantity * unit_price)
            total += amount
            lines.append(
                (
                    invoice,
                    InvoiceLine(
                        child_id=child.pk,
                        activity_id=activity_id,
                        kind=kind,
                        child_name=child.name,
                        activity_name=activities[activity_id].name,
                        period_start=start,
                        period_end=end,
                        quantity=quantity,
                        unit_price=unit_price,
                        amount=amount,
                        basis=basis[:200],
                        warning=warning[:250],
                        position=position,
                    ),
                )
            )
        invoice.total = total
        invoices.append(invoice)
    return invoices, lines


def _write(invoices, lines) -> None:
    Invoice.objects.bulk_create(invoices, batch_size=BATCH_SIZE)
    for invoice, line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create([line for _invoice, line in lines], batch_size=2000)


def _check_period(office, start, end, exclude=None):
    if end < start:
        raise BillingError(_("The period cannot end before it starts."), "period")
    if (end - start).days > 92:
        raise BillingError(_("A billing run covers at most three months."), "period")
    clash = BillingRun.objects.filter(
        billing_office=office, period_start__lte=end, period_end__gte=start
    )
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    clash = clash.first()
    if clash is not None:
        raise BillingError(
            _("The run “%(run)s” of this régie already covers some of these dates.")
            % {"run": clash},
            "overlap",
        )


def create_run(office, period_start, period_end, *, user, label="") -> BillingRun:
    """A new run of ``office`` for the period, computed at once (drafts to review)."""
    with transaction.atomic():
        _check_period(office, period_start, period_end)
        run = BillingRun.objects.create(
            billing_office=office,
            period_start=period_start,
            period_end=period_end,
            label=label[:100],
            created_by=user if user is not None and user.is_authenticated else None,
        )
    return compute(run, user=user)


def compute(run: BillingRun, *, user=None) -> BillingRun:
    """(Re)compute the drafts of ``run`` from the days as they are now."""
    with transaction.atomic():
        run = (
            BillingRun.objects.select_for_update(of=("self",), no_key=True)
            .select_related("billing_office")
            .get(pk=run.pk)
        )
        if not run.is_draft:
            raise BillingError(
                _("This run is issued: its invoices can no longer be computed again."), "issued"
            )
        drafts = run.invoices.filter(state=Invoice.State.DRAFT)
        InvoiceLine.objects.filter(invoice__in=drafts).delete()
        drafts.delete()
        plan = _Plan(run)
        family_ids = plan.family_ids()
        count, total, warnings = 0, ZERO, 0
        for start in range(0, len(family_ids), BATCH_SIZE):
            invoices, lines = _compute_batch(plan, family_ids[start : start + BATCH_SIZE])
            _write(invoices, lines)
            count += len(invoices)
            total += sum((invoice.total for invoice in invoices), ZERO)
            warnings += sum(len(invoice.warnings) for invoice in invoices)
        run.invoice_count, run.total_amount, run.warning_count = count, total, warnings
        run.computed_at = timezone.now()
        run.save(update_fields=["invoice_count", "total_amount", "warning_count", "computed_at"])
    return run


def issue(
    run: BillingRun, *, user, issue_date: dt.date | None = None, notify: bool = True
) -> BillingRun:
    """Number and freeze every draft of ``run`` in one transaction; a second call does nothing.

    Numbers follow the families' names (``numbering``: gap-free per régie and year). The due
    date is the régie's days to pay after the issue date; the invoices of families with an
    active mandate of the régie are paid by direct debit on the régie's collection date; the
    credit families have at the régie pays their new invoices. After commit, the PDFs and the
    "invoice available" e-mails are queued, and the direct-debit file when there is one.
    ``notify=False`` (the demo's history) queues nothing and marks the families as told: the
    PDFs are then made when first asked for, and the direct-debit file by the caller.
    """
    from django_q.tasks import async_task

    issue_date = issue_date or clock.today()
    with transaction.atomic():
        run = (
            BillingRun.objects.select_for_update(of=("self",), no_key=True)
            .select_related("billing_office")
            .get(pk=run.pk)
        )
        if not run.is_draft:
            return run
        office = run.billing_office
        drafts = list(
            Invoice.objects.filter(run=run, state=Invoice.State.DRAFT)
            .order_by("family_name", "family_id")
            .only(
                "pk", "run_id", "family_id", "total", "paid_amount", "state", "kind", "notified_at"
            )
        )
        if not drafts:
            raise BillingError(_("This run has no invoice to issue."), "empty")
        numbers = numbering.take_numbers(
            office, numbering.Kind.INVOICE, issue_date.year, len(drafts)
        )
        debited = (
            set(
                DirectDebitMandate.objects.active()
                .filter(billing_office=office, family_id__in=[i.family_id for i in drafts])
                .values_list("family_id", flat=True)
            )
            if office.accepts_direct_debit
            else set()
        )
        due = issue_date + dt.timedelta(days=office.payment_terms_days)
        debit_date = issue_date + dt.timedelta(days=office.debit_days_after_issue)
        now = timezone.now()
        for invoice, sequence in zip(drafts, numbers, strict=True):
            invoice.state = Invoice.State.ISSUED
            invoice.year = issue_date.year
            invoice.sequence = sequence
            invoice.number = numbering.format_number(
                numbering.Kind.INVOICE, issue_date.year, sequence
            )
            invoice.issue_date = issue_date
            invoice.due_date = due
            invoice.issued_at = now
            invoice.direct_debit = invoice.family_id in debited
            invoice.debit_date = debit_date if invoice.direct_debit else None
            invoice.notified_at = None if notify else now
        Invoice.objects.bulk_update(
            drafts,
            [
                "notified_at",
                "state",
                "year",
                "sequence",
                "number",
                "issue_date",
                "due_date",
                "issued_at",
                "direct_debit",
                "debit_date",
            ],
            batch_size=1000,
        )
        by_family = {invoice.family_id: invoice for invoice in drafts}
        for family_id in payments.credits_by_family(office, list(by_family)):
            invoice = by_family[family_id]
            payments.use_credit(office, invoice.family, [invoice])
        run.state = BillingRun.State.ISSUED
        run.issue_date = issue_date
        run.due_date = due
        run.issued_at = now
        run.issued_by = user if user is not None and user.is_authenticated else None
        run.save(update_fields=["state", "issue_date", "due_date", "issued_at", "issued_by"])
        ids = [invoice.pk for invoice in drafts]

        def queue():
            for start in range(0, len(ids), BATCH_SIZE):
                async_task(ISSUED_TASK, ids[start : start + BATCH_SIZE])
            if debited:
                async_task(DEBIT_TASK, run.pk)

        if notify:
            transaction.on_commit(queue)
    return run


def credit_note(invoice: Invoice, *, amount=None, reason: str, user) -> Invoice:
    """A numbered credit note that corrects ``invoice`` by ``amount`` (all that is left to
    credit when None). It settles the invoice's balance; what the invoice no longer owes (it
    was paid already) becomes the family's credit, used by its next invoices. An invoice
    credited in full is cancelled."""
    if not (reason or "").strip():
        raise BillingError(_("Say why the credit note is made."), "reason")
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",), no_key=True)
            .select_related("billing_office")
            .get(pk=invoice.pk)
        )
        if invoice.kind != Invoice.Kind.INVOICE or invoice.state != Invoice.State.ISSUED:
            raise BillingError(
                _("Only an issued invoice can be corrected by a credit note."), "state"
            )
        credited = invoice.credit_notes.aggregate(total=Sum("total"))["total"] or ZERO
        remaining = invoice.total - credited
        value = remaining if amount in (None, "") else payments.parse_amount(amount)
        if value <= 0:
            raise BillingError(_("This invoice has already been credited in full."), "credited")
        if value > remaining:
            raise BillingError(
                _("A credit note of %(amount)s € is more than the %(left)s € left to credit.")
                % {"amount": value, "left": remaining},
                "over_total",
            )
        office = invoice.billing_office
        today = clock.today()
        (sequence,) = numbering.take_numbers(office, numbering.Kind.INVOICE, today.year, 1)
        note = Invoice.objects.create(
            billing_office=office,
            family_id=invoice.family_id,
            kind=Invoice.Kind.CREDIT_NOTE,
            corrects=invoice,
            state=Invoice.State.ISSUED,
            number=numbering.format_number(numbering.Kind.INVOICE, today.year, sequence),
            year=today.year,
            sequence=sequence,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            issue_date=today,
            total=value,
            family_name=invoice.family_name,
            addressee=invoice.addressee,
            address=invoice.address,
            family_quotient=invoice.family_quotient,
            quotient_year=invoice.quotient_year,
            lives_outside=invoice.lives_outside,
            reason=reason.strip(),
            issued_at=timezone.now(),
        )
        InvoiceLine.objects.create(
            invoice=note,
            kind=Kind.CREDIT,
            activity_name=_("Credit on invoice %(number)s") % {"number": invoice.number},
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            quantity=1,
            unit_price=value,
            amount=value,
            basis=reason.strip()[:200],
        )
        settles = min(value, invoice.balance)
        payments.record_payment(
            office=office,
            family=invoice.family,
            method="credit",
            amount=value,
            allocations={invoice.pk: settles} if settles > 0 else None,
            reference=note.number,
            user=user,
            allow_credit=True,
        )
        if value == remaining:
            Invoice.objects.filter(pk=invoice.pk).update(state=Invoice.State.CANCELLED)
        transaction.on_commit(lambda: _queue_documents([note.pk]))
    return note


def _queue_documents(ids):
    from django_q.tasks import async_task

    async_task(ISSUED_TASK, ids)


def run_summary(run: BillingRun) -> dict:
    """What the review screen shows: totals, families, warnings, and the figures per activity
    and line kind, in three queries."""
    invoices = run.invoices.all()
    totals = invoices.aggregate(total=Sum("total"), count=Count("pk"))
    warnings = [
        (family_name, warning)
        for family_name, family_warnings in invoices.exclude(warnings=[]).values_list(
            "family_name", "warnings"
        )
        for warning in family_warnings
    ]
    by_activity = list(
        InvoiceLine.objects.filter(invoice__run=run)
        .values("activity_name", "kind")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"), lines=Count("pk"))
        .order_by("activity_name", "kind")
    )
    return {
        "invoice_count": totals["count"] or 0,
        "total": totals["total"] or ZERO,
        "families": totals["count"] or 0,
        "warnings": warnings,
        "by_activity": by_activity,
    }
