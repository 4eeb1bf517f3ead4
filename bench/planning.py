"""Benchmark: the family's planning, API and HTML page, in-process, next to a trivial view.

    .venv/bin/python bench/planning.py [--iterations 300] [--profile api|page]

On a throwaway SQLite database holding the data set of bench/dataset.py — the measured family
with 3 children × 4 activities and a month of every state, 50,000 booking lines of other
families — Django's test Client asks, taking turns, for:

- a trivial Django view (the reference: same middleware, no work);
- the planning API, ``GET /api/family-portal/v1/families/{id}/planning/?start=&end=`` for the
  current month, authenticated by token as an app would be;
- the planning page of the same month (``?vue=mois``: whole weeks), logged in by session.

It prints the median and 95th percentile time, the number of SQL queries and the size of each
answer. Targets (issue 5): API < 5 ms, page < 15 ms, page < 150 KB. ``--profile`` runs cProfile
over the API or the page and prints what takes the time.
"""

import argparse
import cProfile
import gzip
import pstats
import sys
from pathlib import Path

# Run as a script: the repository, not bench/, is where imports start.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import dataset  # noqa: E402

API_TARGET_MS = 5
PAGE_TARGET_MS = 15
PAGE_TARGET_KB = 150


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300, help="requests of each kind")
    parser.add_argument("--profile", choices=["api", "page"], help="cProfile one of them")
    args = parser.parse_args()

    with dataset.throwaway_database() as db_path:
        dataset.start_django(db_path)
        data = dataset.build()
        run(data, args.iterations, args.profile)


def urls(data) -> dict[str, str]:
    family = data.family.pk
    middle = data.month_start.replace(day=15)
    return {
        "trivial": "/bench/trivial/",
        "api": (
            f"/api/family-portal/v1/families/{family}/planning/"
            f"?start={data.month_start.isoformat()}&end={data.month_end.isoformat()}"
        ),
        "page": f"{data.portal_url}famille/{family}/planning/?vue=mois&date={middle.isoformat()}",
    }


def clients(data):
    from django.test import Client

    page_client = Client()
    page_client.force_login(data.user)
    return {
        "trivial": page_client,
        "api": Client(HTTP_AUTHORIZATION=f"Token {data.token}"),
        "page": page_client,
    }


def run(data, iterations: int, profile: str | None) -> None:
    addresses, by_name = urls(data), clients(data)

    def getter(name):
        client, url = by_name[name], addresses[name]

        def call():
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{name}: {url} answered {response.status_code}")
            return response

        return call

    calls = {name: getter(name) for name in addresses}
    answers, queries = {}, {}
    for name, call in calls.items():
        call()  # the first request fills the caches (sites, settings): count the usual one
        answers[name], queries[name] = dataset.count_queries(call)

    body = answers["api"].json()
    cells = body.get("cells", [])
    page = answers["page"].content
    missing = [child.first_name for child in data.children if child.first_name.encode() not in page]
    print(
        f"(planning of {data.month_start:%m/%Y}: {len(body.get('children', []))} children, "
        f"{len(body.get('activities', []))} activities, {len(cells)} cells in the API; "
        f"children missing from the page: {missing or 'none'})"
    )

    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(iterations):
            calls[profile]()
        profiler.disable()
        print(f"\ncProfile of {iterations} × {profile}, by cumulative time:\n")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return

    dataset.machine_note("before")
    figures = dataset.interleaved(calls, iterations)
    dataset.machine_note("after")
    trivial = figures["trivial"].median_ms
    labels = {
        "trivial": "trivial Django view (reference)",
        "api": "planning API, 3 children × 4 activities × 1 month",
        "page": "planning page, same month (whole weeks)",
    }
    rows = []
    for name, label in labels.items():
        content = answers[name].content
        rows.append(
            [
                label,
                f"{figures[name].median_ms:.2f}",
                f"{figures[name].p95_ms:.2f}",
                f"{figures[name].median_ms / trivial:.1f}×",
                queries[name],
                f"{len(content) / 1024:.1f}",
                f"{len(gzip.compress(content)) / 1024:.1f}",
            ]
        )
    print(f"\nIn-process (Django test Client, SQLite), {iterations} requests of each, in turns\n")
    dataset.print_table(
        ["what", "median ms", "p95 ms", "× trivial", "SQL queries", "KB", "KB gzip"], rows
    )
    page_kb = len(page) / 1024
    print()
    verdict("planning API median", figures["api"].median_ms, API_TARGET_MS, "ms")
    verdict("planning page median", figures["page"].median_ms, PAGE_TARGET_MS, "ms")
    verdict("planning page weight", page_kb, PAGE_TARGET_KB, "KB")


def verdict(what: str, value: float, target: float, unit: str) -> None:
    if value < target:
        print(f"{what}: {value:.2f} {unit} < {target} {unit}: OK")
    else:
        print(
            f"{what}: {value:.2f} {unit}, target {target} {unit}: MISSED by "
            f"{value - target:.2f} {unit} ({value / target:.2f}× the target)"
        )


if __name__ == "__main__":
    main()
