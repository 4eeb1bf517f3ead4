"""Benchmark: a month's billing run for 10,000 families, drafts then issue, PDFs excluded.

    .venv/bin/python bench/billing_run.py [--families 10000] [--memory 2000] [--profile]

Target (issue 14, "Speed"): a billing run for 10,000 families × 2 children × 3 activities for
one month (≈ 1.2 million booked days read, 10,000 invoices written), draft then issue, PDFs
excluded, takes at most 5× a reference measured in the same run: a bulk insert of the same
number of invoice and line rows, with no computation. Memory stays flat (streamed in batches)
and each batch runs a constant number of queries.

The data set, built with ``bulk_create`` in a throwaway SQLite file: a municipality, its régie,
a school with 3 activities running every weekday of November 2026 (21 days: canteen priced by 4
QF bands with a sibling reduction, morning care by an effort rate with a minimum and a maximum,
evening care per day attended with a surcharge for presence without a booking), N families
with a QF (every 20th without one, every 10th living outside the town) and 2 children each,
both enrolled in the 3 activities, and each child's 21 days of each activity: booked (most,
marked present), an accepted absence in time, a late one (every 50th day), a no-show, refused,
waiting list — 126 ``ChildDay`` rows a family (1.26 million for 10,000). Every 100th child was
present once without a booking.

Measured, in this order, on the same database:

1. the reference: ``bulk_create`` of as many ``Invoice`` rows as the run writes and as many
   ``InvoiceLine`` rows, in the run's batch sizes, then deleted;
2. ``runs.create_run`` (the drafts), counting the queries of each batch;
3. ``runs.issue`` (numbers, due dates, credit, direct debits; the tasks it queues after commit —
   PDFs, e-mails — are replaced by a no-op).

``--memory N`` also builds a data set of N families in a process of its own and reports the
tracemalloc peak of its drafts next to the headline's: memory is flat when the peak does not
grow with the families. ``--profile`` prints a cProfile of the drafts instead.
"""

import argparse
import cProfile
import datetime as dt
import json
import pstats
import subprocess
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import dataset  # noqa: E402

TARGET_RATIO = 5
START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
DAYS = [
    START + dt.timedelta(days=n) for n in range(30) if (START + dt.timedelta(days=n)).weekday() < 5
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--memory", default="2000", help="families of the memory comparison")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sizes = [args.families] + [int(n) for n in args.memory.split(",") if n.strip()]
    dataset.machine_note("before")
    results = {}
    for n in sizes:
        results[n] = spawn(n, traced=False, profile=args.profile)
        if args.profile:
            return
        results[n]["traced"] = spawn(n, traced=True)["peak"]
    dataset.machine_note("after")
    report(results, args.families)


def spawn(families: int, traced: bool, profile: bool = False) -> dict:
    with tempfile.NamedTemporaryFile(prefix="wfp-bench-billing-", suffix=".json") as result:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--families",
            str(families),
            "--result",
            result.name,
        ]
        if traced:
            command.append("--traced")
        if profile:
            command.append("--profile")
        subprocess.run(command, check=True)
        text = Path(result.name).read_text()
    return json.loads(text) if text else {}


def report(results: dict, headline: int) -> None:
    print("\nBilling run of November 2026, SQLite, PDFs and e-mails excluded\n")
    rows = []
    for n, r in results.items():
        rows.append(
            [
                f"{n:,}",
                f"{r['days']:,}",
                f"{r['invoices']:,}",
                f"{r['lines']:,}",
                f"{r['reference_s']:.2f}",
                f"{r['draft_s']:.2f}",
                f"{r['issue_s']:.2f}",
                f"{(r['draft_s'] + r['issue_s']) / r['reference_s']:.2f}",
                f"{r['traced'] / 2**20:.1f}",
            ]
        )
    dataset.print_table(
        [
            "families",
            "child days",
            "invoices",
            "lines",
            "reference s (bulk insert)",
            "drafts s",
            "issue s",
            "(drafts + issue) ÷ reference",
            "tracemalloc peak MB (drafts)",
        ],
        rows,
    )
    r = results[headline]
    print(
        f"\nqueries a batch of {r['batch_size']} families (drafts): {r['batch_queries']}; "
        f"outside the batches: {r['outside_queries']}; issue: {r['issue_queries']} queries"
    )
    ratio = (r["draft_s"] + r["issue_s"]) / r["reference_s"]
    verdict = "OK" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"{headline:,} families: drafts + issue = {ratio:.2f}× the reference "
        f"(target ≤ {TARGET_RATIO}×): {verdict}"
    )
    if len(results) > 1:
        small = min(results)
        print(
            f"memory: tracemalloc peak {r['traced'] / results[small]['traced']:.2f}× for "
            f"{headline / small:.0f}× the families ({small:,} → {headline:,})"
        )


def child(args) -> None:
    with dataset.throwaway_database() as path:
        dataset.start_django(path)
        office = build(args.families)
        if args.traced:
            tracemalloc.start()
            draft(office)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            Path(args.result).write_text(json.dumps({"peak": peak}))
            return
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(draft, office)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            return
        result = measure(office, args.families)
        Path(args.result).write_text(json.dumps(result))


def build(families: int):
    from wagtail_family_portal.models import (
        Activity,
        BillingOffice,
        Child,
        ChildDay,
        DayState,
        Enrolment,
        Establishment,
        Family,
        Municipality,
        PriceBand,
        PriceGrid,
        UnbookedPresence,
    )

    started = time.perf_counter()
    town = Municipality.objects.create(name="Belleville-sur-Loire", city="Belleville")
    office = BillingOffice.objects.create(municipality=town, name="Régie enfance", code="ENF")
    school = Establishment.objects.create(municipality=town, name="École Jules Ferry")

    def activity(name, start, end, **grid):
        act = Activity.objects.create(
            establishment=school,
            name=name,
            kind="canteen",
            start_time=start,
            end_time=end,
            weekdays=[0, 1, 2, 3, 4],
            season_start=dt.date(2026, 9, 1),
            season_end=dt.date(2027, 7, 3),
        )
        priced = PriceGrid.objects.create(
            activity=act, billing_office=office, valid_from=dt.date(2026, 9, 1), **grid
        )
        return act, priced

    canteen, grid = activity(
        "Repas école", dt.time(12), dt.time(13, 30), second_child_reduction=Decimal("10")
    )
    for n, (low, high, price) in enumerate(
        [(0, 400, "1.20"), (400.01, 800, "2.40"), (800.01, 1200, "3.60"), (1200.01, None, "4.80")]
    ):
        PriceBand.objects.create(
            grid=grid, label=f"tranche {n + 1}", quotient_min=low, quotient_max=high, price=price
        )
    morning, _grid = activity(
        "Périscolaire matin",
        dt.time(7, 30),
        dt.time(8, 30),
        method="effort_rate",
        effort_rate=Decimal("0.3"),
        minimum_price=Decimal("0.80"),
        maximum_price=Decimal("3.00"),
        outside_price_increase=Decimal("20"),
    )
    evening, _grid = activity(
        "Périscolaire soir",
        dt.time(16, 30),
        dt.time(18, 30),
        unit="attended_day",
        effort_rate=Decimal("0.4"),
        method="effort_rate",
        unbooked_surcharge=Decimal("2.00"),
    )
    activities = [canteen, morning, evening]
    Family.objects.bulk_create(
        [
            Family(
                municipality=town,
                name=f"Famille {n:05d}",
                subscriber_key=f"K{n:011d}",
                subscriber_code=f"K{n:011d}",
                address_line1=f"{n} rue des Écoles",
                postcode="44000",
                city="Belleville",
                family_quotient=None if n % 20 == 0 else Decimal(200 + (n * 37) % 1400),
                lives_outside=n % 10 == 0,
            )
            for n in range(families)
        ],
        batch_size=2000,
    )
    family_ids = list(Family.objects.order_by("pk").values_list("pk", flat=True))
    Child.objects.bulk_create(
        [
            Child(
                family_id=family_id,
                first_name=name,
                last_name=f"Famille {n:05d}",
                birth_date=dt.date(2017 + k, 3, 1),
                sex="F",
            )
            for n, family_id in enumerate(family_ids)
            for k, name in enumerate(("Léa", "Hugo"))
        ],
        batch_size=2000,
    )
    child_ids = list(Child.objects.order_by("pk").values_list("pk", flat=True))
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                child_id=child_id,
                activity=act,
                start_date=dt.date(2026, 9, 1),
                end_date=dt.date(2027, 7, 3),
            )
            for child_id in child_ids
            for act in activities
        ],
        batch_size=5000,
    )
    rows = []
    count = 0
    for c, child_id in enumerate(child_ids):
        for act in activities:
            for d, day in enumerate(DAYS):
                k = (c + d) % 50
                state, presence = DayState.BOOKED, "present"
                if k == 1:
                    state, presence = DayState.ABSENT, ""
                elif k == 2:
                    presence = "absent"
                elif k == 3:
                    state, presence = DayState.REFUSED, ""
                elif k == 4:
                    state, presence = DayState.WAITING_LIST, ""
                rows.append(
                    ChildDay(
                        child_id=child_id, activity=act, date=day, state=state, presence=presence
                    )
                )
        if len(rows) >= 20_000:
            ChildDay.objects.bulk_create(rows, batch_size=5000)
            count += len(rows)
            rows = []
    ChildDay.objects.bulk_create(rows, batch_size=5000)
    count += len(rows)
    UnbookedPresence.objects.bulk_create(
        [
            UnbookedPresence(child_id=child_id, activity=evening, date=dt.date(2026, 11, 30))
            for child_id in child_ids[::100]
        ]
    )
    print(
        f"(data set: {families:,} families, {len(child_ids):,} children, {count:,} child days, "
        f"built in {time.perf_counter() - started:.1f} s)"
    )
    return office


def draft(office):
    from wagtail_family_portal.services.billing import runs

    return runs.create_run(office, START, END, user=None, label="Novembre 2026")


def measure(office, families: int) -> dict:
    from django.db import connection, transaction

    from wagtail_family_portal.models import ChildDay, Family, Invoice, InvoiceLine
    from wagtail_family_portal.services.billing import runs

    days = ChildDay.objects.count()
    # The run once, to know how many rows it writes; then the reference; then the run again.
    first = draft(office)
    invoices = first.invoice_count
    lines = InvoiceLine.objects.filter(invoice__run=first).count()
    first.invoices.all().delete()
    first.delete()

    family_ids = list(Family.objects.order_by("pk").values_list("pk", flat=True))
    started = time.perf_counter()
    with transaction.atomic():
        made = Invoice.objects.bulk_create(
            [
                Invoice(
                    billing_office=office,
                    family_id=family_ids[n % len(family_ids)],
                    period_start=START,
                    period_end=END,
                    total=Decimal("12.30"),
                    family_name="Famille",
                    addressee="Famille",
                    address="1 rue des Écoles",
                )
                for n in range(invoices)
            ],
            batch_size=runs.BATCH_SIZE,
        )
        InvoiceLine.objects.bulk_create(
            [
                InvoiceLine(
                    invoice=made[n % len(made)],
                    kind="booked",
                    child_name="Léa",
                    activity_name="Repas école",
                    period_start=START,
                    period_end=END,
                    quantity=Decimal(17),
                    unit_price=Decimal("3.20"),
                    amount=Decimal("54.40"),
                    basis="QF 620 → tranche 2",
                )
                for n in range(lines)
            ],
            batch_size=2000,
        )
    reference = time.perf_counter() - started
    Invoice.objects.all().delete()

    batches, outside = [], [0]
    current = [None]

    def counter(execute, sql, params, many, context):
        if current[0] is None:
            outside[0] += 1
        else:
            current[0] += 1
        return execute(sql, params, many, context)

    compute_batch = runs._compute_batch

    def counted_batch(plan, ids):
        current[0] = 0
        result = compute_batch(plan, ids)
        return result

    write = runs._write

    def counted_write(invoices_, lines_):
        write(invoices_, lines_)
        batches.append(current[0])
        current[0] = None

    runs._compute_batch, runs._write = counted_batch, counted_write
    try:
        with connection.execute_wrapper(counter):
            instrumented = draft(office)
    finally:
        runs._compute_batch, runs._write = compute_batch, write
    instrumented.invoices.all().delete()
    instrumented.delete()

    started = time.perf_counter()
    run = draft(office)
    draft_s = time.perf_counter() - started

    import django_q.tasks

    django_q.tasks.async_task = lambda *a, **k: None  # PDFs and e-mails excluded
    issue_queries = [0]

    def count_issue(execute, sql, params, many, context):
        issue_queries[0] += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count_issue):
        runs.issue(run, user=None, issue_date=dt.date(2026, 12, 1))
    issue_s = time.perf_counter() - started
    issued = Invoice.objects.filter(run=run, state="issued").count()
    if issued != invoices or issued == 0:
        raise SystemExit(f"incomplete run: {issued} issued for {invoices} drafts")
    full = batches[:-1] or batches
    return {
        "days": days,
        "invoices": invoices,
        "lines": lines,
        "reference_s": reference,
        "draft_s": draft_s,
        "issue_s": issue_s,
        "batch_size": runs.BATCH_SIZE,
        "batch_queries": sorted(set(full)),
        "outside_queries": outside[0],
        "issue_queries": issue_queries[0],
    }


if __name__ == "__main__":
    main()
