"""Benchmark: one decision digest slot for 10,000 families, built and handed to the mail backend.

    .venv/bin/python bench/digest.py [--families 10000] [--lines-per-family 5]
                                     [--memory 1000,5000,10000] [--batch-size 500]
                                     [--rebuild] [--profile]

Target (issue 6, "Speed"): a digest slot for 10,000 families with 50,000 decided lines is built
and handed to the mail backend (locmem) in under 60 s on the 2-core development machine, with
memory that does not grow with the number of families (streamed in batches) and a constant
number of queries per batch.

The data set: a municipality tied to the default site with its portal page (digest times of
the settings: 13:00 and 18:00), a school with 3 activities (canteen decided by an agent, evening
care automatic, Wednesday leisure centre with a waiting list); N families, each with 2 children
(one booking ``Request`` each) and one account subscribed to it (every 10th family a second
one: 11,000 accounts for 10,000 families), all wanting the digest; 5 decided ``BookingLine``
rows per family (accepted 75 %, refused with the agent's message 15 %, waiting list 10 %; one
in 20 an absence) and their 5 ``DecisionNotice`` rows, not mailed yet, decided between 13:00
and 18:00 (Paris) on Friday 27 November 2026. ``run_digests(site, now=18:01)`` is measured.

The data set is built once per N (``bulk_create``) into a SQLite file under
/tmp/wfp-bench-digest/ and reused while its counts and migrations match (``--rebuild`` builds it
again); each run works on a fresh copy of it. ``DATABASE_URL=postgres://…/test`` runs on
PostgreSQL instead: the data set is kept in the database ``wfp_bench_digest_…`` of that server
(not the one named in the URL), each run on a copy made with ``CREATE DATABASE … TEMPLATE``.

For each N, in a process of its own (one after the other):

1. an instrumented run: ``_collect_batch`` and ``_deliver_batch`` (and the rendering, the
   backend's ``send``) are wrapped with timers and every SQL query is counted, batch by batch,
   through ``connection.execute_wrapper``; locmem's ``mail.outbox`` is emptied after each
   batch (it keeps every message otherwise); the growth of the process's peak RSS is read;
2. the plain run, nothing patched, locmem's outbox kept: the wall time, the e-mails in
   ``mail.outbox`` — the headline figure;
3. the same as 1 under ``tracemalloc`` (slower: its time is not reported): the peak of the
   memory allocated during the run, and what is still held at its end.

``--profile`` runs cProfile over the plain run of ``--families`` instead of the tables.
"""

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

# Run as a script: the repository, not bench/, is where imports start.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import dataset  # noqa: E402

TARGET_S = 60
DATA_VERSION = 1
CACHE = Path(tempfile.gettempdir()) / "wfp-bench-digest"
PARIS = ZoneInfo("Europe/Paris")
SLOT = dt.datetime(2026, 11, 27, 18, 0, tzinfo=PARIS)  # a Friday's 18:00 digest
WINDOW_START = SLOT.replace(hour=13)  # the 13:00 slot before it
RUN_AT = SLOT + dt.timedelta(minutes=1)
REQUESTED_AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
SECOND_ACCOUNT_EVERY = 10
CHILDREN_PER_FAMILY = 2
REFUSAL = "Le restaurant scolaire est complet ce jour-là (sortie de classe)."


def accounts_of(families: int) -> int:
    return families + (families + SECOND_ACCOUNT_EVERY - 1) // SECOND_ACCOUNT_EVERY


# The parent: one process per measurement, the tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=10_000, help="families of the headline")
    parser.add_argument("--lines-per-family", type=int, default=5, help="decided lines each")
    parser.add_argument(
        "--memory",
        default="1000,5000,10000",
        help="numbers of families measured besides --families (comma-separated; empty: none)",
    )
    parser.add_argument("--batch-size", type=int, default=500, help="run_digests's batch_size")
    parser.add_argument("--rebuild", action="store_true", help="build the data sets again")
    parser.add_argument("--profile", action="store_true", help="cProfile the plain run")
    parser.add_argument(
        "--child", choices=["prepare", "measure", "profile"], help=argparse.SUPPRESS
    )
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    sizes = sorted({args.families, *(int(n) for n in args.memory.split(",") if n.strip())})
    if args.profile:
        sizes = [args.families]
    for n in sizes:
        spawn("prepare", n, args, rebuild=args.rebuild)
    if args.profile:
        spawn("profile", args.families, args)
        return

    dataset.machine_note("before")
    results = {n: spawn("measure", n, args) for n in sizes}
    dataset.machine_note("after")
    report(results, args)


def spawn(kind: str, families: int, args, rebuild: bool = False) -> dict:
    with tempfile.NamedTemporaryFile(prefix="wfp-bench-digest-", suffix=".json") as result:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            kind,
            "--families",
            str(families),
            "--lines-per-family",
            str(args.lines_per_family),
            "--batch-size",
            str(args.batch_size),
            "--result",
            result.name,
        ]
        if rebuild:
            command.append("--rebuild")
        subprocess.run(command, check=True)
        text = Path(result.name).read_text()
    return json.loads(text) if text else {}


def report(results: dict, args) -> None:
    headline = results[args.families]
    where = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(
        f"\nrun_digests(site, now=slot + 1 min), {where}, batch_size={args.batch_size}, "
        f"{args.lines_per_family} decided lines a family, locmem backend\n"
    )
    rows = []
    for n, result in results.items():
        plain = result["plain"]
        rows.append(
            [
                f"{n:,}",
                f"{result['accounts']:,}",
                f"{result['notices']:,}",
                f"{plain['deliveries']:,}",
                f"{plain['outbox']:,}",
                f"{plain['seconds']:.1f}",
                f"{plain['outbox'] / plain['seconds']:.0f}",
                f"{result['instrumented']['seconds']:.1f}",
                f"{result['commit_ms']['median']:.2f}",
            ]
        )
    dataset.print_table(
        [
            "families",
            "accounts",
            "notices",
            "deliveries",
            "e-mails in outbox",
            "wall s",
            "e-mails/s",
            "wall s, instrumented",
            "1-row commit ms",
        ],
        rows,
    )

    split = headline["instrumented"]
    print(f"\nWhere the time goes, {args.families:,} families (instrumented run)\n")
    rest = split["deliver_s"] - sum(
        split[key] for key in ("notices_of_s", "render_s", "send_s", "update_s")
    )
    phases = [
        ["collect: notices given the slot, deliveries created", split["collect_s"], ""],
        ["  of which SQL", split["collect_sql_s"], ""],
        ["deliver: e-mails rendered, handed to locmem, marked sent", split["deliver_s"], ""],
        ["  notices_of: its query, the notices' objects", split["notices_of_s"], ""],
        ["  rendering (DigestWriter.email)", split["render_s"], split["renders"]],
        ["  backend (RenderedEmail.send → locmem)", split["send_s"], split["sends"]],
        ['  QuerySet.update, ORM + SQL: claims, "sent" marks', split["update_s"], split["updates"]],
        ['    of which SQL of the "sent" marks', split["sent_sql_s"], split["sent_updates"]],
        ["  the rest: deliveries' SELECTs, the loop", rest, ""],
        ["outside the batches (settings, writer, last checks)", split["outside_s"], ""],
    ]
    dataset.print_table(
        ["phase", "s", "calls"], [[label, f"{s:.2f}", calls] for label, s, calls in phases]
    )
    reference = headline["commit_ms"]
    print(
        f'\none "sent" UPDATE (its SQL): median {split["sent_median_ms"]:.2f} ms, p95 '
        f"{split['sent_p95_ms']:.2f} ms; reference, a one-row UPDATE committed on its own in "
        f"the same database just before: median {reference['median']:.2f} ms, p95 "
        f"{reference['p95']:.2f} ms"
    )

    print(f"\nSQL queries per batch, batch_size={args.batch_size}\n")
    rows = []
    for n, result in results.items():
        for phase in ("collect", "deliver"):
            batches = [b for b in result["instrumented"]["batches"] if b["phase"] == phase]
            full = [b for b in batches if b["more"]]
            last = [b for b in batches if not b["more"]]
            unit = "families" if phase == "collect" else "e-mails"
            size = [b["families"] if phase == "collect" else b["emails"] for b in full]
            rows.append(
                [
                    f"{n:,}",
                    phase,
                    len(full),
                    f"{span(size)} {unit}",
                    span([b["queries"] for b in full]),
                    span([b["begins"] for b in full]),
                    span([b["inserts"] for b in full]),
                    span([b["sent_updates"] for b in full]),
                    span([others(b) for b in full]),
                    span([b["queries"] for b in last]),
                ]
            )
    dataset.print_table(
        [
            "families",
            "phase",
            "batches",
            "a batch",
            "queries",
            "BEGIN",
            "INSERTs",
            '"sent" UPDATEs',
            "other queries",
            "last call (nothing left)",
        ],
        rows,
    )
    outside = {n: r["instrumented"]["outside_queries"] for n, r in results.items()}
    print(f"queries outside the batches: {outside}")

    print(
        "\nMemory of the run (locmem's outbox emptied after each batch: it keeps every "
        "message otherwise)\n"
    )
    rows = []
    for n, result in results.items():
        traced = result["traced"]
        rows.append(
            [
                f"{n:,}",
                f"{traced['peak'] / 2**20:.1f}",
                f"{traced['collect_peak'] / 2**20:.1f}",
                f"{traced['deliver_peak'] / 2**20:.1f}",
                f"{traced['retained'] / 2**20:.2f}",
                f"{result['instrumented']['rss_growth'] / 2**20:.1f}",
                f"{result['plain']['outbox_rss_growth'] / 2**20:.0f}",
            ]
        )
    dataset.print_table(
        [
            "families",
            "tracemalloc peak MB",
            "peak in a collect batch",
            "peak in a deliver batch",
            "held at the end MB",
            "peak RSS growth MB",
            "RSS growth, outbox kept",
        ],
        rows,
    )

    print()
    seconds = headline["plain"]["seconds"]
    if seconds < TARGET_S:
        print(f"{args.families:,} families: {seconds:.1f} s < {TARGET_S} s: OK")
    else:
        print(
            f"{args.families:,} families: {seconds:.1f} s, target {TARGET_S} s: MISSED by "
            f"{seconds - TARGET_S:.1f} s"
        )
    if len(results) > 1:
        small, large = min(results), max(results)
        ratio = results[large]["traced"]["peak"] / results[small]["traced"]["peak"]
        print(
            f"memory: tracemalloc peak {ratio:.2f}× for {large // small}× the families "
            f"({small:,} → {large:,})"
        )
    fixed = {
        phase: sorted(
            {
                others(b)
                for r in results.values()
                for b in r["instrumented"]["batches"]
                if b["phase"] == phase and b["more"]
            }
        )
        for phase in ("collect", "deliver")
    }
    print(
        'other queries a batch (besides BEGIN, the INSERTs and the "sent" UPDATEs), every N and '
        "batch: " + ", ".join(f"{phase} {values}" for phase, values in fixed.items())
    )


def others(batch: dict) -> int:
    return batch["queries"] - batch["begins"] - batch["inserts"] - batch["sent_updates"]


def span(values) -> str:
    if not values:
        return "–"
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}–{high}"


# The children: a data set, the runs


def child(args) -> None:
    store = Store.make(args.families, args.lines_per_family)
    if args.child == "prepare":
        store.prepare(args.rebuild)
        return
    store.open()
    if args.child == "profile":
        profile_run(store, args)
        return
    result = {
        "commit_ms": commit_reference(),
        "accounts": accounts_of(args.families),
        "notices": args.families * args.lines_per_family,
        "instrumented": instrumented_run(store, args, traced=False),
    }
    store.reset()
    result["plain"] = plain_run(args)
    store.reset()
    result["traced"] = instrumented_run(store, args, traced=True)
    store.drop()
    Path(args.result).write_text(json.dumps(result))


def commit_reference(repeat: int = 300) -> dict:
    """The reference of the "sent" marks: a one-row UPDATE committed on its own, same database."""
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_commit (id integer PRIMARY KEY, sent integer)")
        cursor.execute("INSERT INTO bench_commit (id, sent) VALUES (1, 0)")
        for n in range(repeat):
            started = time.perf_counter()
            cursor.execute("UPDATE bench_commit SET sent = %s WHERE id = 1", [n])
            times.append(time.perf_counter() - started)
        cursor.execute("DROP TABLE bench_commit")
    median = statistics.median(times) * 1000
    p95 = statistics.quantiles(times, n=20)[18] * 1000
    print(f"(a one-row UPDATE committed on its own: median {median:.2f} ms, p95 {p95:.2f} ms)")
    return {"median": median, "p95": p95}


def site():
    from wagtail.models import Site

    return Site.objects.get(is_default_site=True)


def check_run(run, families: int, lines: int) -> None:
    """What a complete run must have done, or the figures mean nothing."""
    from wagtail_family_portal.models.notifications import DecisionNotice, DigestDelivery

    accounts = accounts_of(families)
    given = DecisionNotice.objects.filter(slot=SLOT).count()
    sent = DigestDelivery.objects.filter(state=DigestDelivery.State.SENT).count()
    wanted = (families, families * lines, accounts, accounts)
    found = (run.families, run.notices, run.deliveries, run.sent)
    if found != wanted or given != families * lines or sent != accounts or not run.complete:
        raise SystemExit(
            f"incomplete run: families, notices, deliveries, sent = {found}, expected {wanted}; "
            f"{given} notices of the slot and {sent} deliveries sent in the database; "
            f"failed {len(run.failed)}, complete {run.complete}"
        )


def plain_run(args) -> dict:
    from django.core import mail

    from wagtail_family_portal.services import notifications

    the_site = site()
    mail.outbox = []
    before = rss()["VmRSS"]
    clear_peak_rss()
    started = time.perf_counter()
    run = notifications.run_digests(the_site, now=RUN_AT, batch_size=args.batch_size)
    seconds = time.perf_counter() - started
    growth = rss()["VmHWM"] - before
    check_run(run, args.families, args.lines_per_family)
    outbox = len(mail.outbox)
    sample = mail.outbox[0] if outbox else None
    print(
        f"(plain run, {args.families:,} families: {seconds:.1f} s, {outbox:,} e-mails in the "
        f"outbox; the first: {sample.subject!r} to {sample.to}, "
        f"{len(sample.body.splitlines())} lines of text, "
        f"{len(sample.alternatives[0][0]) / 1024:.1f} KB of HTML)"
    )
    mail.outbox = []
    return {
        "seconds": seconds,
        "outbox": outbox,
        "deliveries": run.deliveries,
        "outbox_rss_growth": growth,
    }


class Probe:
    """Times and counts what run_digests does, batch by batch (patched in this process only)."""

    def __init__(self, traced: bool):
        from wagtail_family_portal.models.notifications import DigestDelivery

        self.traced = traced
        table = DigestDelivery._meta.db_table
        self.table = table
        self.update_prefix = f'UPDATE "{table}" SET'
        self.batches = []
        self.current = None
        self.outside_queries = 0
        self.sent_times = []
        self.timers = defaultdict(lambda: [0.0, 0])  # (name, phase): [seconds, calls]

    def query(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            batch = self.current
            if batch is None:
                self.outside_queries += 1
            else:
                batch["queries"] += 1
                batch["sql_s"] += spent
                if sql.startswith(self.update_prefix) and '"sent_at"' in sql:
                    batch["sent_updates"] += 1
                    batch["sent_sql_s"] += spent
                    self.sent_times.append(spent)
                elif sql.startswith("INSERT") and self.table in sql[:80]:
                    batch["inserts"] += 1
                elif sql.startswith("BEGIN"):
                    batch["begins"] += 1

    def batch(self, phase: str, original):
        import tracemalloc

        from django.core import mail

        def wrapper(the_site, run, *rest):
            families, sent = run.families, run.sent
            batch = {
                "phase": phase,
                "queries": 0,
                "sent_updates": 0,
                "inserts": 0,
                "begins": 0,
                "sql_s": 0.0,
                "sent_sql_s": 0.0,
            }
            self.current = batch
            if self.traced:
                tracemalloc.reset_peak()
            started = time.perf_counter()
            try:
                more = original(the_site, run, *rest)
            finally:
                batch["seconds"] = time.perf_counter() - started
                self.current = None
            if self.traced:
                batch["current"], batch["peak"] = tracemalloc.get_traced_memory()
            batch.update(more=more, families=run.families - families, emails=run.sent - sent)
            del getattr(mail, "outbox", [])[:]  # what a real backend would not keep
            self.batches.append(batch)
            return more

        return wrapper

    def timer(self, name: str, original):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                phase = self.current["phase"] if self.current else "outside"
                entry = self.timers[name, phase]
                entry[0] += time.perf_counter() - started
                entry[1] += 1

        return wrapper


def instrumented_run(store, args, *, traced: bool) -> dict:
    import tracemalloc

    from django.core import mail
    from django.db import connection
    from django.db.models.query import QuerySet

    from wagtail_family_portal.emails import rendering
    from wagtail_family_portal.emails.digest import DigestWriter
    from wagtail_family_portal.services import notifications
    from wagtail_family_portal.services.notifications import digests

    probe = Probe(traced)
    patches = [
        (digests, "_collect_batch", probe.batch("collect", digests._collect_batch)),
        (digests, "_deliver_batch", probe.batch("deliver", digests._deliver_batch)),
        (digests, "_notices_of", probe.timer("notices_of", digests._notices_of)),
        (DigestWriter, "email", probe.timer("render", DigestWriter.email)),
        (rendering.RenderedEmail, "send", probe.timer("send", rendering.RenderedEmail.send)),
        (QuerySet, "update", probe.timer("update", QuerySet.update)),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, value in patches:
        setattr(owner, name, value)
    the_site = site()
    mail.outbox = []
    try:
        with connection.execute_wrapper(probe.query):
            if traced:
                tracemalloc.start()
            else:
                before = rss()["VmRSS"]
                clear_peak_rss()
            started = time.perf_counter()
            run = notifications.run_digests(the_site, now=RUN_AT, batch_size=args.batch_size)
            seconds = time.perf_counter() - started
            if traced:
                retained, _peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            else:
                growth = rss()["VmHWM"] - before
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)
    check_run(run, args.families, args.lines_per_family)
    batches = probe.batches
    if traced:
        peaks = {
            phase: max((b["peak"] for b in batches if b["phase"] == phase), default=0)
            for phase in ("collect", "deliver")
        }
        print(f"(traced run, {args.families:,} families: {seconds:.1f} s under tracemalloc)")
        return {
            "peak": max(peaks.values()),
            "collect_peak": peaks["collect"],
            "deliver_peak": peaks["deliver"],
            "retained": retained,
            "held_after_batches": [b["current"] for b in batches],
        }

    def total(phase, key):
        return sum(b[key] for b in batches if b["phase"] == phase)

    collect_s, deliver_s = total("collect", "seconds"), total("deliver", "seconds")
    print(
        f"(instrumented run, {args.families:,} families: {seconds:.1f} s, "
        f"{len(batches)} batch calls, {sum(b['queries'] for b in batches):,} queries)"
    )
    return {
        "seconds": seconds,
        "rss_growth": growth,
        "collect_s": collect_s,
        "collect_sql_s": total("collect", "sql_s"),
        "deliver_s": deliver_s,
        "deliver_sql_s": total("deliver", "sql_s"),
        "sent_sql_s": total("deliver", "sent_sql_s"),
        "sent_updates": total("deliver", "sent_updates"),
        "sent_median_ms": statistics.median(probe.sent_times) * 1000,
        "sent_p95_ms": statistics.quantiles(probe.sent_times, n=20)[18] * 1000,
        "outside_s": seconds - collect_s - deliver_s,
        "outside_queries": probe.outside_queries,
        "notices_of_s": probe.timers["notices_of", "deliver"][0],
        "render_s": probe.timers["render", "deliver"][0],
        "renders": probe.timers["render", "deliver"][1],
        "send_s": probe.timers["send", "deliver"][0],
        "sends": probe.timers["send", "deliver"][1],
        "update_s": probe.timers["update", "deliver"][0],
        "updates": probe.timers["update", "deliver"][1],
        "batches": [{key: b[key] for key in BATCH_KEYS} for b in batches],
    }


BATCH_KEYS = ("phase", "more", "families", "emails", "queries", "sent_updates", "inserts", "begins")


def profile_run(store, args) -> None:
    from django.core import mail

    from wagtail_family_portal.services import notifications

    the_site = site()
    mail.outbox = []
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    run = notifications.run_digests(the_site, now=RUN_AT, batch_size=args.batch_size)
    profiler.disable()
    seconds = time.perf_counter() - started
    check_run(run, args.families, args.lines_per_family)
    store.drop()
    print(
        f"\ncProfile of run_digests, {args.families:,} families, {run.sent:,} e-mails: "
        f"{seconds:.1f} s under the profiler\n"
    )
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def rss() -> dict:
    """VmRSS and VmHWM (peak) of this process, in bytes (Linux)."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) * 1024
    return values


def clear_peak_rss() -> None:
    """Reset VmHWM to the current RSS, so that it tells the peak of what follows (Linux)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


# Where the data set lives: a SQLite file kept under /tmp, or a PostgreSQL database


class Store:
    """The kept data set of ``families`` and the copy a run works on."""

    def __init__(self, families: int, lines: int):
        self.families, self.lines = families, lines
        self.name = f"digest-v{DATA_VERSION}-{families}f-{lines}l"

    @staticmethod
    def make(families: int, lines: int) -> "Store":
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith(("postgres://", "postgresql://")):
            return PostgresStore(families, lines, url)
        return SqliteStore(families, lines)

    def start_django(self) -> None:
        for path in (str(dataset.ROOT / "example_site"), str(dataset.ROOT)):
            if path not in sys.path:
                sys.path.insert(0, path)
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        os.environ.setdefault("WFP_BENCH_DB", str(CACHE / "unused.sqlite3"))
        import django
        from django.conf import settings

        self.configure(settings)
        django.setup()

    def configure(self, settings) -> None:
        pass

    def prepare(self, rebuild: bool) -> None:
        """Build the kept data set, unless it is there with the right counts."""
        from django.core.management import call_command
        from django.db import connections

        kept = self.exists() and not rebuild
        if kept:
            self.copy_kept()
        self.start_django()
        if kept:
            problem = self.mismatch()
            if not problem:
                print(f"(data set of {self.families:,} families reused: {self.where()})")
                self.drop()
                return
            print(f"(data set of {self.families:,} families out of date: {problem}; rebuilt)")
            connections.close_all()
        self.empty_work()
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrated = time.perf_counter() - started
        build(self.families, self.lines)
        connections.close_all()
        self.keep_work()
        print(
            f"(data set of {self.families:,} families built in "
            f"{time.perf_counter() - started:.1f} s, migrations {migrated:.1f} s: {self.where()})"
        )

    def open(self) -> None:
        self.copy_kept()
        self.start_django()
        problem = self.mismatch()
        if problem:
            raise SystemExit(f"the kept data set does not match: {problem}")

    def reset(self) -> None:
        from django.db import connections

        connections.close_all()
        self.copy_kept()

    def mismatch(self) -> str:
        """Why the database is not the data set of ``families`` (empty: it is)."""
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        from wagtail_family_portal.models import BookingLine, Family, Subscription
        from wagtail_family_portal.models.notifications import DecisionNotice, DigestDelivery

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return "migrations to apply"
        counts = (
            Family.objects.count(),
            Subscription.objects.count(),
            BookingLine.objects.count(),
            DecisionNotice.objects.filter(slot__isnull=True).count(),
            DigestDelivery.objects.count(),
        )
        lines = self.families * self.lines
        wanted = (self.families, accounts_of(self.families), lines, lines, 0)
        if counts != wanted:
            return f"families, subscriptions, lines, notices, deliveries = {counts}, not {wanted}"
        return ""


class SqliteStore(Store):
    def __init__(self, families: int, lines: int):
        super().__init__(families, lines)
        CACHE.mkdir(exist_ok=True)
        self.kept = CACHE / f"{self.name}.sqlite3"
        self.work = CACHE / f"{self.name}.run.sqlite3"
        os.environ["WFP_BENCH_DB"] = str(self.work)

    def where(self) -> str:
        return f"{self.kept}, {self.kept.stat().st_size / 2**20:.0f} MB"

    def exists(self) -> bool:
        return self.kept.exists()

    def _remove_work(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)

    def copy_kept(self) -> None:
        self._remove_work()
        shutil.copyfile(self.kept, self.work)

    def empty_work(self) -> None:
        self._remove_work()

    def keep_work(self) -> None:
        partial = self.kept.with_suffix(".partial")
        shutil.copyfile(self.work, partial)
        partial.replace(self.kept)

    def drop(self) -> None:
        from django.db import connections

        connections.close_all()
        self._remove_work()


class PostgresStore(Store):
    def __init__(self, families: int, lines: int, url: str):
        super().__init__(families, lines)
        import dj_database_url

        self.server = dj_database_url.parse(url)
        self.kept = f"wfp_bench_{self.name.replace('-', '_')}"
        self.work = f"{self.kept}_run"

    def configure(self, settings) -> None:
        settings.DATABASES = {"default": {**self.server, "NAME": self.work, "CONN_MAX_AGE": 0}}

    def where(self) -> str:
        return f"PostgreSQL database {self.kept}"

    def _admin(self, *statements, fetch=None):
        import psycopg

        server = self.server
        with psycopg.connect(
            host=server["HOST"] or None,
            port=server["PORT"] or None,
            user=server["USER"] or None,
            password=server["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        ) as admin:
            if fetch:
                return admin.execute(fetch[0], fetch[1]).fetchone()
            for statement in statements:
                admin.execute(statement)
        return None

    def exists(self) -> bool:
        found = self._admin(fetch=("SELECT 1 FROM pg_database WHERE datname = %s", [self.kept]))
        return found is not None

    def copy_kept(self) -> None:
        self._admin(
            f'DROP DATABASE IF EXISTS "{self.work}"',
            f'CREATE DATABASE "{self.work}" TEMPLATE "{self.kept}"',
        )

    def empty_work(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.work}"', f'CREATE DATABASE "{self.work}"')

    def keep_work(self) -> None:
        self._admin(
            f'DROP DATABASE IF EXISTS "{self.kept}"',
            f'CREATE DATABASE "{self.kept}" TEMPLATE "{self.work}"',
        )

    def drop(self) -> None:
        from django.db import connections

        connections.close_all()
        self._admin(f'DROP DATABASE IF EXISTS "{self.work}"')


# The data set


def running_days(weekdays, count: int) -> list[dt.date]:
    """The first ``count`` days on ``weekdays`` after the slot's day."""
    days, day = [], SLOT.date()
    while len(days) < count:
        day += dt.timedelta(days=1)
        if day.weekday() in weekdays:
            days.append(day)
    return days


def build(families: int, lines_per_family: int) -> None:
    """The families, accounts, children, requests, decided lines and notices, in bulk."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from wagtail.models import Site

    from wagtail_family_portal.models import (
        AccountProfile,
        Activity,
        BookingLine,
        Child,
        Establishment,
        Family,
        FamilyPortalPage,
        FamilyPortalSettings,
        Municipality,
        Request,
        Subscription,
    )
    from wagtail_family_portal.models.families import CHILD_COLOURS, normalise_subscriber_code
    from wagtail_family_portal.models.notifications import DecisionNotice

    User = get_user_model()
    accepted, refused = BookingLine.State.ACCEPTED, BookingLine.State.REFUSED
    waiting = BookingLine.State.WAITING_LIST
    booking, absence = BookingLine.Operation.BOOKING, BookingLine.Operation.ABSENCE
    window = int((SLOT - WINDOW_START).total_seconds())

    with transaction.atomic():
        the_site = Site.objects.get(is_default_site=True)
        municipality = Municipality.objects.create(
            name="Belleville-sur-Loire",
            site=the_site,
            address_line1="Place de la Mairie",
            postcode="18240",
            city="Belleville-sur-Loire",
            phone="02 48 00 00 00",
            contact_email="enfance@belleville.example.org",
            sender_email="ne-pas-repondre@belleville.example.org",
            website="https://belleville.example.org",
        )
        the_site.root_page.add_child(
            instance=FamilyPortalPage(title="Espace famille", slug="espace-famille")
        )
        FamilyPortalSettings.for_site(the_site)  # the default digest times: 13:00, 18:00
        agent = User.objects.create_user(username="agent", is_staff=True)
        school = Establishment.objects.create(
            municipality=municipality, name="École Jules Ferry", kind=Establishment.Kind.SCHOOL
        )
        season = {
            "establishment": school,
            "season_start": dt.date(2026, 9, 1),
            "season_end": dt.date(2027, 7, 6),
        }
        canteen = Activity.objects.create(
            name="Repas école",
            short_code="1/REPAS",
            kind=Activity.Kind.CANTEEN,
            start_time=dt.time(11, 45),
            end_time=dt.time(13, 30),
            weekdays=[0, 1, 3, 4],
            booking_mode=Activity.BookingMode.AGENT,
            **season,
        )
        evening = Activity.objects.create(
            name="Périscolaire soir",
            short_code="1/PERI SOIR",
            kind=Activity.Kind.SCHOOL_CARE,
            start_time=dt.time(16, 30),
            end_time=dt.time(18, 30),
            weekdays=[0, 1, 3, 4],
            booking_mode=Activity.BookingMode.AUTOMATIC,
            capacity=200,
            **season,
        )
        wednesday = Activity.objects.create(
            name="Accueil de loisirs mercredi",
            short_code="1/ALSH MER",
            kind=Activity.Kind.LEISURE_CENTRE,
            start_time=dt.time(8, 0),
            end_time=dt.time(18, 0),
            weekdays=[2],
            booking_mode=Activity.BookingMode.AUTOMATIC,
            capacity=40,
            waiting_list=True,
            **season,
        )
        school_days = running_days(canteen.weekdays, 15)
        wednesdays = running_days(wednesday.weekdays, 4)

        family_rows = Family.objects.bulk_create(
            Family(
                municipality=municipality,
                name=f"Famille {n}",
                subscriber_code=f"DIGEST-{n:06d}",
                subscriber_key=normalise_subscriber_code(f"DIGEST-{n:06d}"),
                address_line1=f"{n % 90 + 1} rue des Lilas",
                postcode="18240",
                city="Belleville-sur-Loire",
            )
            for n in range(families)
        )
        owners = [
            (family, f"parent{n}{suffix}@example.org")
            for n, family in enumerate(family_rows)
            for suffix in ("", "b")
            if suffix == "" or n % SECOND_ACCOUNT_EVERY == 0
        ]
        users = User.objects.bulk_create(
            User(
                username=address,
                email=address,
                first_name="Camille",
                last_name=family.name,
                password="!",  # unusable: nobody logs in
                is_active=True,
            )
            for family, address in owners
        )
        activated = REQUESTED_AT - dt.timedelta(days=60)
        AccountProfile.objects.bulk_create(
            AccountProfile(
                user=user,
                municipality=municipality,
                created_at=activated,
                terms_accepted_at=activated,
                activated_at=activated,
            )
            for user in users
        )
        Subscription.objects.bulk_create(
            Subscription(user=user, family=family)
            for user, (family, _) in zip(users, owners, strict=True)
        )
        first_account = {}
        for user, (family, _) in zip(users, owners, strict=True):
            first_account.setdefault(family.pk, user)
        children = Child.objects.bulk_create(
            Child(
                family=family,
                first_name=["Léa", "Hugo"][k],
                last_name=family.name,
                birth_date=dt.date(2017 + k, 5, 14),
                sex=[Child.Sex.FEMALE, Child.Sex.MALE][k],
                establishment=school,
                colour=CHILD_COLOURS[k],
            )
            for family in family_rows
            for k in range(CHILDREN_PER_FAMILY)
        )

        # What each line is: (child's index in the family, activity, date, operation, state).
        plan = []
        for n in range(families):
            for k in range(lines_per_family):
                kind = (n * lines_per_family + k) % 20
                if kind < 10:
                    activity, operation, state = canteen, booking, accepted
                elif kind < 13:
                    activity, operation, state = canteen, booking, refused
                elif kind < 17:
                    activity, operation, state = evening, booking, accepted
                elif kind == 17:
                    activity, operation, state = canteen, absence, accepted
                else:
                    activity, operation, state = wednesday, booking, waiting
                days = wednesdays if activity is wednesday else school_days
                plan.append(
                    (k % CHILDREN_PER_FAMILY, activity, days[(n + k) % len(days)], operation, state)
                )
        refused_children = {
            (n, entry[0])
            for n in range(families)
            for entry in plan[n * lines_per_family : (n + 1) * lines_per_family]
            if entry[4] == refused
        }
        requests = Request.objects.bulk_create(
            Request(
                family=family,
                kind=Request.Kind.BOOKING,
                topic=Request.Topic.BOOKING,
                state=(
                    Request.State.PARTIALLY_ACCEPTED
                    if (n, k) in refused_children
                    else Request.State.ACCEPTED
                ),
                summary=f"Réservations de {['Léa', 'Hugo'][k]} {family.name}",
                created_at=REQUESTED_AT + dt.timedelta(seconds=n),
                created_by=first_account[family.pk],
                decided_at=WINDOW_START + dt.timedelta(seconds=1 + n % window),
                decided_by=agent,
            )
            for n, family in enumerate(family_rows)
            for k in range(CHILDREN_PER_FAMILY)
        )

        def decided(i: int) -> dt.datetime:
            """In (13:00, 18:00]: the window of the 18:00 slot."""
            return WINDOW_START + dt.timedelta(seconds=1 + (i * 7919) % window)

        lines = []
        for i, (k, activity, day, operation, state) in enumerate(plan):
            n = i // lines_per_family
            index = n * CHILDREN_PER_FAMILY + k
            lines.append(
                BookingLine(
                    request=requests[index],
                    child=children[index],
                    activity=activity,
                    date=day,
                    operation=operation,
                    state=state,
                    created_at=REQUESTED_AT + dt.timedelta(seconds=n),
                    decided_at=decided(i),
                    decided_by=agent if activity is canteen else None,
                    message=REFUSAL if state == refused else "",
                )
            )
        lines = BookingLine.objects.bulk_create(lines, batch_size=2000)
        DecisionNotice.objects.bulk_create(
            (
                DecisionNotice(
                    family_id=requests[line_index_request].family_id,
                    request_id=line.request_id,
                    line=line,
                    decision=line.state,
                    message=line.message,
                    created_at=line.decided_at,
                )
                for line_index_request, line in (
                    ((i // lines_per_family) * CHILDREN_PER_FAMILY + plan[i][0], line)
                    for i, line in enumerate(lines)
                )
            ),
            batch_size=2000,
        )


if __name__ == "__main__":
    main()
