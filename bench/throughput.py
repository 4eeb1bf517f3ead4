"""Benchmark: requests per second under gunicorn, planning API versus a trivial Django view.

    .venv/bin/python bench/throughput.py [--workers 2] [--clients 4] [--seconds 4] [--rounds 3]

Builds the data set of bench/dataset.py in a throwaway SQLite database, starts gunicorn (sync
workers) on the example site with ``bench.settings`` on a free port of 127.0.0.1, and loads it
with a small generator written here: ``--clients`` threads, each with its own
``http.client`` connection, sending GETs back to back for ``--seconds``, the targets taking turns
for ``--rounds`` rounds. Targets: the trivial view (the reference), the planning API of the
family's month (token), and, for information, the planning page (session). Target (issue 5): the
planning API serves at least a tenth of the trivial view's requests per second.

The generator runs on the same machine as the server and takes part of its processors: the
figures are for comparing with each other, not absolute capacities. gunicorn is stopped and the
database deleted at the end, whatever happens.
"""

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

# Run as a script: the repository, not bench/, is where imports start.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import dataset  # noqa: E402
from bench.planning import urls  # noqa: E402

HOST = "127.0.0.1"
TARGET_RATIO = 0.1
MAX_REQUESTS_PER_RUN = 200_000  # a bound on every load loop, whatever the duration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=4, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=4, help="length of one run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each target, in turns")
    args = parser.parse_args()
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        raise SystemExit(
            "gunicorn is missing: .venv/bin/pip install -r example_site/requirements.txt"
        ) from None

    with dataset.throwaway_database() as db_path:
        dataset.start_django(db_path)
        data = dataset.build()
        headers = auth_headers(data)
        with gunicorn_server(db_path, args.workers) as port:
            run(port, urls(data), headers, args)


def auth_headers(data) -> dict[str, dict[str, str]]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(data.user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "trivial": {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
        "api": {"Authorization": f"Token {data.token}"},
        "page": {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class gunicorn_server:
    """gunicorn serving bench.wsgi on a free port until the ``with`` block ends."""

    def __init__(self, db_path: str, workers: int):
        self.db_path, self.workers = db_path, workers

    def __enter__(self) -> int:
        self.port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "WFP_BENCH_DB": self.db_path,
        }
        root = dataset.ROOT
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "bench.wsgi:application",
                "--workers",
                str(self.workers),
                "--bind",
                f"{HOST}:{self.port}",
                "--pythonpath",
                f"{root},{root / 'example_site'}",
                "--log-level",
                "warning",
            ],
            cwd=root,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start (exit code {self.process.returncode})")
            try:
                status, _ = fetch(self.port, "/bench/trivial/", {})
                if status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            self.__exit__(None, None, None)
            raise SystemExit("gunicorn did not answer within 60 s")
        print(
            f"(gunicorn {self.workers} sync workers on {HOST}:{self.port}, pid {self.process.pid})"
        )
        return self.port

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def fetch(port: int, path: str, headers: dict) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def load(port: int, path: str, headers: dict, clients: int, seconds: float) -> dict:
    """``clients`` threads sending GETs back to back for ``seconds``; what they got."""
    start = threading.Barrier(clients + 1)
    results = []
    lock = threading.Lock()

    def client():
        # One connection each, reopened by http.client when the server closes it (sync workers
        # close after each answer).
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        latencies, errors, count = [], 0, 0
        start.wait()
        deadline = time.perf_counter() + seconds
        try:
            while time.perf_counter() < deadline and count < MAX_REQUESTS_PER_RUN:
                began = time.perf_counter()
                try:
                    connection.request("GET", path, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    connection.close()
                    ok = False
                latencies.append(time.perf_counter() - began)
                count += 1
                errors += not ok
        finally:
            connection.close()
            with lock:
                results.append((count, errors, latencies))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies = [value for _count, _errors, values in results for value in values]
    return {
        "requests": sum(count for count, _errors, _values in results),
        "errors": sum(errors for _count, errors, _values in results),
        "seconds": elapsed,
        "latencies": latencies,
    }


def run(port: int, paths: dict, headers: dict, args) -> None:
    for name, path in paths.items():
        status, body = fetch(port, path, headers[name])
        if status != 200:
            raise SystemExit(f"{name}: {path} answered {status} under gunicorn")
        for _ in range(20):  # warm every worker up
            fetch(port, path, headers[name])

    dataset.machine_note("before")
    totals = {name: {"requests": 0, "errors": 0, "seconds": 0.0, "latencies": []} for name in paths}
    for _round in range(args.rounds):
        for name, path in paths.items():
            result = load(port, path, headers[name], args.clients, args.seconds)
            for key in ("requests", "errors", "seconds"):
                totals[name][key] += result[key]
            totals[name]["latencies"] += result["latencies"]

    dataset.machine_note("after")
    rate = {name: total["requests"] / total["seconds"] for name, total in totals.items()}
    labels = {
        "trivial": "trivial Django view (reference)",
        "api": "planning API, 3 children × 4 activities × 1 month",
        "page": "planning page, same month (information)",
    }
    rows = [
        [
            labels[name],
            total["requests"],
            total["errors"],
            f"{rate[name]:.0f}",
            f"{rate[name] / rate['trivial']:.2f}",
            f"{statistics.median(total['latencies']) * 1000:.1f}",
        ]
        for name, total in totals.items()
    ]
    print(
        f"\ngunicorn, {args.workers} sync workers, {args.clients} clients, "
        f"{args.rounds} × {args.seconds:g} s per target in turns\n"
    )
    dataset.print_table(
        ["what", "requests", "errors", "req/s", "÷ trivial", "median latency ms"], rows
    )
    ratio = rate["api"] / rate["trivial"]
    outcome = "OK" if ratio >= TARGET_RATIO else f"MISSED ({ratio / TARGET_RATIO:.2f}× the target)"
    print(
        f"\nplanning API: {ratio:.2f} of the trivial view's requests per second, target ≥ "
        f"{TARGET_RATIO}: {outcome}"
    )
    if any(total["errors"] for total in totals.values()):
        raise SystemExit("some requests failed: see the errors column")


if __name__ == "__main__":
    main()
