"""`make bench`: what a recipient's click costs, over HTTP, served as production serves it.

gunicorn with 2 sync workers and DEBUG off on a free loopback port, on PostgreSQL
(scratch databases, dropped afterwards) and on SQLite (temp files); Celery eager (no
broker) and Redis as the broker; a database of 200,000 shares and, for p50 against table
size, one of 1,000 beside it, a tenth of them sent to two people each, surveyed for
presence as the periodic job does. wrk (headload for HEAD, which wrk cannot read) sends
each request of benchmarks.endpoints with codes picked at random from the whole table, in
rounds, and each run is read against baseline runs of the same app and middleware, sent
by the same load generator, just before and after it.
docs/performance.md explains the output. The exit status is 0 whatever the verdicts
say, 1 when requests failed or were miscounted (the numbers are then not valid), 2 when the
bench could not run.

Environment: BENCH_SECONDS (per run, default 3), BENCH_ROUNDS (runs of each endpoint in
each set-up, one a round, default 2), BENCH_POSTGRES_URL (a server URL whose
user may create databases), BENCH_REDIS_URL (a Redis db of the bench's own: it is flushed).
"""

import contextlib
import itertools
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import endpoints, printout, report, serverenv, services
from benchmarks.endpoints import (
    BASELINE,
    BASELINE_ENDPOINT,
    BASELINES,
    DOWNLOAD,
    FLOOR,
    FRESH,
    PAGE,
    WRK,
    Endpoint,
)
from benchmarks.fill import BUCKET, KEY
from benchmarks.measure import (
    ROUNDS,
    SECONDS,
    STARTED,
    Run,
    run_load,
    settled_counts,
    smoke,
)
from benchmarks.tables import (
    POSTGRES_SERVER,
    SIZES,
    Table,
    database_url,
    survey_when_due,
    table_fill,
)

WARMUP_SECONDS = 1
CONNECTIONS = (2, 4)
DATABASES = ("postgresql", "sqlite")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens there: a publish fails at once


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupt(number: int, frame: object) -> None:
    """Stop the run at the first signal; ignore more, so the clean-up runs to its end."""
    for stop in STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> int:
    for stop in STOP_SIGNALS:
        signal.signal(stop, _interrupt)
    if not shutil.which("wrk"):
        print("bench: wrk is not installed (make bench installs it: apt-get install -y wrk)")
        return 2
    measurements: list[report.Measurement] = []
    problems: list[str] = []
    try:
        with contextlib.ExitStack() as stack:
            work = Path(tempfile.mkdtemp(prefix="sharelinks-bench-"))
            stack.callback(shutil.rmtree, work, ignore_errors=True)
            s3 = stack.enter_context(services.S3Server(BUCKET, KEY))
            stack.enter_context(services.redis_database(REDIS_URL))
            print(describe(), flush=True)
            for database in DATABASES:
                run_database(database, work, s3, measurements, problems)
    except KeyboardInterrupt:
        print("\nbench: interrupted; its servers are stopped and its data removed")
        return 130
    except Exception as err:  # any failure ends the run, with its reason
        print(f"\nbench: could not run: {type(err).__name__}: {err}")
        return 2
    sizes = SIZES[0][0], SIZES[-1][0]
    minutes = (time.monotonic() - STARTED) / 60
    footer = f"bench took {minutes:.1f} min; load average {os.getloadavg()[0]:.1f} at the end"
    print(printout.results(measurements, sizes, footer))
    for problem in problems:
        print(f"ERROR {problem}")
    if problems:
        print("bench: requests failed or were miscounted: the numbers above are not valid")
        return 1
    return 0


def plan(database: str) -> list[tuple[str, str | None, tuple[int, ...], list, list]]:
    """(broker, its URL, connections, endpoints, those also measured on the small table)
    for one database.

    What each set-up can change, so the run stays bounded (about 14 minutes at two rounds
    of 3-second runs):
    - the large table measures every endpoint without a broker, and with Redis on the
      database the targets are judged on (PostgreSQL); on SQLite, Redis only for the
      requests that publish (the rest never touch the broker);
    - on PostgreSQL also a broker that is down, for the requests that publish: the publish
      fails at once and the process then leaves new emails to the sweeper for a while;
    - the floors (benchmarks/urls.py) once, on PostgreSQL without a broker: their statements
      are PostgreSQL's and publish nothing;
    - the small table is there for p50 at 200,000 over p50 at 1,000, a target of the
      counted downloads: each set-up that measures the repeat downloads measures them on
      the small table too, right after the large table's run (no share there was never
      downloaded, so there is no first download to pair).
    """
    everything = [e for e in endpoints.ENDPOINTS if e.role != FLOOR]
    publishing = [BASELINE_ENDPOINT, *(e for e in endpoints.ENDPOINTS if e.pool == FRESH)]
    floors = [e for e in endpoints.ENDPOINTS if e.role == FLOOR] if database == "postgresql" else []
    runs = [("none", None, CONNECTIONS, everything + floors)]
    if database == report.TARGET_DATABASE:
        runs.append(("redis", REDIS_URL, CONNECTIONS, everything))
        runs.append(("down", UNREACHABLE, CONNECTIONS[:1], publishing))
    else:
        runs.append(("redis", REDIS_URL, CONNECTIONS, publishing))
    return [(*run, [e for e in run[3] if _paired(e)]) for run in runs]


def _paired(endpoint: Endpoint) -> bool:
    """Measured on the small table as well: a counted download the small table has links for."""
    return endpoint.role == DOWNLOAD and endpoint.tool == WRK and endpoint.pool != FRESH


def alternated(chosen: list[Endpoint], paired: list[Endpoint] = ()) -> list[tuple[Endpoint, int]]:
    """(endpoint, table size): baseline, target, baseline, target, ..., baseline for each
    load generator in turn, each target between two runs of the baseline its own load
    generator sends; a paired target's small-table run comes right after its large-table
    run, so the two p50s compared are measured a few seconds apart, on the same machine
    in the same state (minutes apart, the machine's drift moved their ratio by more than
    the target allows)."""
    small, large = SIZES[0][0], SIZES[-1][0]
    runs: list[tuple[Endpoint, int]] = []
    for tool in dict.fromkeys(e.tool for e in chosen if e.role != BASELINE):
        base = (BASELINES[tool], large)
        for target in (e for e in chosen if e.role != BASELINE and e.tool == tool):
            runs += [base, (target, large)]
            if target in paired:
                runs += [base, (target, small)]
        runs.append(base)
    return runs


def run_database(database, work, s3, measurements, problems) -> None:
    """Fill a database of each size, then measure each broker set-up on the large one (and
    the paired downloads on the small one, each right after the large one's run)."""
    with contextlib.ExitStack() as stack:
        tables = {}
        for size, _ in SIZES:
            url = stack.enter_context(database_url(database, work, size))
            tables[size] = table_fill(database, size, url, s3, work)
        small, large = tables[SIZES[0][0]], tables[SIZES[-1][0]]
        surveyed = time.monotonic()
        for broker, broker_url, connections, chosen, paired in plan(database):
            chosen = [e for e in chosen if e.pool is None or large.pools[e.name]]
            paired = [e for e in paired if e in chosen and small.pools[e.name]]
            measured = [(large, chosen), (small, paired)]
            with servers_started(measured, broker_url, s3, work) as servers:
                counts = {size: settled_counts(server, s3) for size, server in servers.items()}
                for conns, _ in itertools.product(connections, range(ROUNDS)):
                    surveyed = survey_when_due(database, tables.values(), s3, work, surveyed)
                    for endpoint, size in alternated(chosen, paired):
                        where = (database, size, broker, conns)
                        run = Run(servers[size], s3, where, endpoint)
                        # S3's HEADs are counted across both servers: from now on.
                        before = {**counts[size], "s3_heads": s3.heads}
                        measurement, counts[size] = run.measure(
                            tables[size].requests, before, problems
                        )
                        measurements.append(measurement)


@contextlib.contextmanager
def servers_started(
    measured: list[tuple[Table, list[Endpoint]]], broker_url: str | None, s3, work: Path
) -> Iterator[dict[int, services.Gunicorn]]:
    """A server on each table that has endpoints to measure, by table size, each checked
    with one request of each endpoint and warmed up; all stopped on the way out."""
    with contextlib.ExitStack() as running:
        servers = {}
        for table, chosen in measured:
            if not chosen:
                continue
            env = serverenv.server_env(table.url, broker_url, s3, work)
            log = work / f"gunicorn-{table.size}.log"
            server = servers[table.size] = running.enter_context(services.Gunicorn(env, log))
            smoke(server, chosen, table.requests, s3)
            for endpoint in chosen:  # both workers: connections, templates, S3 client
                if endpoint.role in (DOWNLOAD, PAGE):
                    run_load(server, endpoint, table.requests, max(CONNECTIONS), WARMUP_SECONDS)
        yield servers


def describe() -> str:
    """What ran, on what: the header of the output."""
    wrk_version = subprocess.run(  # noqa: S603 -- wrk found on PATH, no input of ours
        [shutil.which("wrk"), "--version"], capture_output=True, text=True, check=False
    ).stdout.split(" [")[0]
    redis = urlsplit(REDIS_URL)
    return "\n".join(
        [
            "make bench: a recipient's click over HTTP, served as in production",
            f"machine    {len(os.sched_getaffinity(0))} CPUs, {platform.system()}"
            f" {platform.machine()}, Python {platform.python_version()}, load average"
            f" {os.getloadavg()[0]:.1f} at the start",
            f"server     gunicorn {version('gunicorn')}, 2 sync workers, DEBUG off, 127.0.0.1",
            f"load       {wrk_version}, 2 threads, {' and '.join(map(str, CONNECTIONS))}"
            f" connections, {ROUNDS} rounds of {SECONDS} s runs, codes picked at random from"
            " the whole table; HEAD by benchmarks/headload.py (a thread per connection),"
            " which also sends its baseline",
            f"databases  PostgreSQL {services.postgres_version(POSTGRES_SERVER)} (scratch"
            " databases, dropped afterwards); SQLite (temp files, WAL)",
            f"S3         URLs presigned in the process; {serverenv.object_check()}",
            "email      broker none: Celery eager, the owner's email sent by the worker's mail"
            " thread after the answer (console backend, to /dev/null; a 1st run's req/s counts"
            " the time until every email it queued was sent); redis: published to"
            f" {redis.hostname}:{redis.port}{redis.path} (no worker; that db is flushed"
            " afterwards); down: nobody listens on 127.0.0.1:1",
            "shares     the defaults: notify the owner on the first download, no download"
            " limit; all of one object; every 10th sent to two people (its general link"
            " off), one of whom downloaded before",
            *[
                f"setting    {name}={value}"
                for name, value in sorted(serverenv.APP_SETTINGS.items())
            ],
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
