"""Benchmark: a whole school year requested at once, validated and saved by services.bookings.

    .venv/bin/python bench/period_request.py [--repeat 5] [--profile]

On a throwaway SQLite database holding the data set of bench/dataset.py (50,000 other booking
lines), two children ask for 36 weeks × 4 weekdays (a school-holiday fortnight skipped and
confirmed) of the canteen (lines wait for an agent) and of the evening care (automatic: the
capacity is locked, counted and decided at once). Each figure is printed next to the same
request for one day, measured in the same run. Target (issue 5): well under a second.
``--profile`` runs cProfile over the school year of the evening care and prints what takes the
time.
"""

import argparse
import cProfile
import datetime as dt
import pstats
import statistics
import sys
import time
from pathlib import Path

# Run as a script: the repository, not bench/, is where imports start.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import dataset  # noqa: E402

WEEKDAYS = [0, 1, 3, 4]
WEEKS = 36


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each case (median)")
    parser.add_argument("--profile", action="store_true", help="cProfile the automatic case")
    args = parser.parse_args()

    with dataset.throwaway_database() as db_path:
        dataset.start_django(db_path)
        data = dataset.build()
        run(data, args.repeat, args.profile)


def run(data, repeat: int, profile: bool = False) -> None:
    from wagtail_family_portal.models import ChildDay, Request
    from wagtail_family_portal.services import bookings

    canteen, _morning, evening, _wednesday = data.activities
    children = data.children[:2]
    # From the first Monday after the measured month, 36 weeks: a school year.
    first = data.month_end + dt.timedelta(days=7 - data.month_end.weekday())
    last = first + dt.timedelta(weeks=WEEKS) - dt.timedelta(days=1)
    year = bookings.dates_in_period(first, last, WEEKDAYS)
    one_day = [first]
    before = dt.datetime.combine(first - dt.timedelta(days=30), dt.time(9, 0))

    def ask(activity, dates):
        def call():
            return [
                bookings.request_days(
                    family=data.family,
                    child_id=child.pk,
                    activity_id=activity.pk,
                    operation="booking",
                    dates=dates,
                    user=data.user,
                    confirm_skipped=True,
                    now=before,
                )
                for child in children
            ]

        return call

    def preview(activity, dates):
        def call():
            return [
                bookings.preview_days(
                    family=data.family,
                    child_id=child.pk,
                    activity_id=activity.pk,
                    operation="booking",
                    dates=dates,
                    now=before,
                )
                for child in children
            ]

        return call

    def undo(activity):
        ChildDay.objects.filter(child__in=children, activity=activity, date__gte=first).delete()
        Request.objects.filter(
            family=data.family, booking_lines__activity=activity, booking_lines__date__gte=first
        ).distinct().delete()

    def measure(call, activity=None):
        times, queries, result = [], None, None
        for n in range(repeat):
            if n == 0:
                started = time.perf_counter()
                result, queries = dataset.count_queries(call)
                times.append(time.perf_counter() - started)
            else:
                started = time.perf_counter()
                call()
                times.append(time.perf_counter() - started)
            if activity is not None:
                undo(activity)
        return statistics.median(times) * 1000, max(times) * 1000, queries, result

    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        ask(evening, year)()
        profiler.disable()
        print("\ncProfile of the school year × 2 children (evening care, automatic):\n")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        return

    dataset.machine_note("before")
    rows = []
    for label, activity in (
        ("canteen, validated by an agent", canteen),
        ("evening care, automatic, capacity", evening),
    ):
        one_ms, _one_max, one_queries, _ = measure(ask(activity, one_day), activity)
        year_ms, year_max, year_queries, outcomes = measure(ask(activity, year), activity)
        lines = sum(len(outcome.lines) for outcome in outcomes)
        skipped = sum(len(outcome.skipped) for outcome in outcomes)
        states = sorted({line.state for outcome in outcomes for line in outcome.lines})
        rows.append(
            [
                f"1 day × 2 children: {label} (reference)",
                2,
                f"{one_ms:.1f}",
                "",
                one_queries,
                "",
            ]
        )
        rows.append(
            [
                f"school year × 2 children: {label}",
                f"{lines} ({skipped} skipped)",
                f"{year_ms:.1f}",
                f"{year_max:.1f}",
                year_queries,
                f"{year_ms / one_ms:.1f}×",
            ]
        )
        print(f"  {label}: lines saved as {', '.join(states)}")
    preview_ms, preview_max, preview_queries, _ = measure(preview(canteen, year))
    rows.append(
        [
            "preview of the school year × 2 children (canteen)",
            len(year) * 2,
            f"{preview_ms:.1f}",
            f"{preview_max:.1f}",
            preview_queries,
            "",
        ]
    )

    dataset.machine_note("after")
    print(
        f"\nPeriod request: {first:%d/%m/%Y} to {last:%d/%m/%Y}, weekdays Mon Tue Thu Fri "
        f"({len(year)} dates a child), median of {repeat} runs; target: well under 1000 ms\n"
    )
    dataset.print_table(["request", "lines", "median ms", "max ms", "SQL queries", "× 1 day"], rows)
    worst = max(float(row[3]) for row in rows if row[3])
    print(
        f"\nslowest run: {worst:.0f} ms — {'OK' if worst < 1000 else 'MISSED'} (target < 1000 ms)"
    )


if __name__ == "__main__":
    main()
