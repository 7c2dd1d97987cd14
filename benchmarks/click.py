"""`make bench`: what a recipient's click costs, over HTTP, served as production serves it.

gunicorn with 2 sync workers and DEBUG off on a free loopback port, on PostgreSQL (a
scratch database, dropped afterwards) and on SQLite (a temp file); Celery eager (no broker)
and Redis as the broker; 1,000 shares and then 200,000, a tenth of them sent to two people
each, surveyed for presence as the periodic job does. wrk (headload for HEAD, which wrk
cannot read) sends each request of benchmarks.endpoints with codes picked at random from
the whole table, and each endpoint is read against baseline runs of the same app and
middleware, sent by the same load generator, just before and after it.
docs/performance.md explains the output. The exit status is 0 whatever the verdicts
say, 1 when requests failed or were miscounted (the numbers are then not valid), 2 when the
bench could not run.

Environment: BENCH_SECONDS (per run, default 5), BENCH_POSTGRES_URL (a server URL whose
user may create databases), BENCH_REDIS_URL (a Redis db of the bench's own: it is flushed).
"""

import contextlib
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
    SECONDS,
    STARTED,
    Run,
    progress,
    run_load,
    settled_counts,
    smoke,
)

WARMUP_SECONDS = 1
# The presence survey's job runs every 5 minutes; clicks trust a survey for
# SHARELINKS_VERIFY_OBJECT_CACHE (900 s by default). Before a set-up starts, a survey older
# than the job's interval is run again, so long runs (BENCH_SECONDS) never outlive it.
SURVEY_INTERVAL = 300
CONNECTIONS = (2, 4)
# Shares in the table, and how many of those added are never downloaded (the rest were once).
SIZES = ((1_000, 0), (200_000, 100_000))
DATABASES = ("postgresql", "sqlite")
POSTGRES_SERVER = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
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
                with database_url(database, work) as url:
                    run_database(database, url, s3, work, measurements, problems)
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


@contextlib.contextmanager
def database_url(database: str, work: Path) -> Iterator[str]:
    """A scratch database of the bench's own, removed afterwards."""
    if database == "postgresql":
        with services.postgres_database(POSTGRES_SERVER, f"sharelinks_bench_{os.getpid()}") as url:
            yield url
    else:
        path = work / "sqlite" / "bench.sqlite3"
        path.parent.mkdir()
        try:
            yield f"sqlite:///{path}"
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)


def plan(database: str, size: int) -> list[tuple[str, str | None, tuple[int, ...], list]]:
    """(broker, its URL, connections, endpoints) for one database at one table size.

    What each set-up can change, so the run stays bounded (about 10 minutes at 5 s a run):
    - the small table is there for p50 at 200,000 over p50 at 1,000, a target of the
      counted downloads only: it measures those (no share there was never downloaded, so
      no click emails anyone and the broker is idle: it runs once, without one);
    - the large table measures every endpoint without a broker, and with Redis on the
      database the targets are judged on (PostgreSQL); on SQLite, Redis only for the
      requests that publish (the rest never touch the broker);
    - on PostgreSQL also a broker that is down, for the requests that publish: the publish
      fails at once and the process then leaves new emails to the sweeper for a while;
    - the floors (benchmarks/urls.py) once, on PostgreSQL without a broker: their statements
      are PostgreSQL's and publish nothing.
    """
    if size != SIZES[-1][0]:
        small = [e for e in endpoints.ENDPOINTS if e.role in (BASELINE, DOWNLOAD) and e.tool == WRK]
        return [("none", None, CONNECTIONS, small)]
    everything = [e for e in endpoints.ENDPOINTS if e.role != FLOOR]
    publishing = [BASELINE_ENDPOINT, *(e for e in endpoints.ENDPOINTS if e.pool == FRESH)]
    floors = [e for e in endpoints.ENDPOINTS if e.role == FLOOR] if database == "postgresql" else []
    runs = [("none", None, CONNECTIONS, everything + floors)]
    if database == report.TARGET_DATABASE:
        runs.append(("redis", REDIS_URL, CONNECTIONS, everything))
        runs.append(("down", UNREACHABLE, CONNECTIONS[:1], publishing))
    else:
        runs.append(("redis", REDIS_URL, CONNECTIONS, publishing))
    return runs


def alternated(chosen: list[Endpoint]) -> list[Endpoint]:
    """Baseline, target, baseline, target, ..., baseline for each load generator in turn:
    each target between two runs of the baseline its own load generator sends."""
    runs: list[Endpoint] = []
    for tool in dict.fromkeys(e.tool for e in chosen if e.role != BASELINE):
        targets = [e for e in chosen if e.role != BASELINE and e.tool == tool]
        base = BASELINES[tool]
        runs += [run for target in targets for run in (base, target)] + [base]
    return runs


def run_database(database, url, s3, work, measurements, problems) -> None:
    """Fill each size in turn and measure it with each broker set-up."""
    requests = work / "requests"
    for size, fresh in SIZES:
        summary = serverenv.fill(
            serverenv.server_env(url, None, s3, work),
            [f"--to={size}", f"--fresh={fresh}", f"--requests={requests}"],
        )
        surveyed = time.monotonic()
        progress(
            f"{database}: {size:,} shares ({summary['added']:,} added with"
            f" {summary['people']:,} people in {summary['fill_s']} s; migrate"
            f" {summary['migrate_s']} s, presence survey {summary['survey_s']} s, request"
            f" files {summary['files_s']} s)"
        )
        for broker, broker_url, connections, chosen in plan(database, size):
            if time.monotonic() - surveyed > SURVEY_INTERVAL:  # as the job would have by now
                again = serverenv.fill(serverenv.server_env(url, None, s3, work), ["--survey-only"])
                progress(f"{database}: presence survey again ({again['survey_s']} s)")
                surveyed = time.monotonic()
            chosen = [e for e in chosen if e.pool is None or summary["pools"][e.name]]
            env = serverenv.server_env(url, broker_url, s3, work)
            with services.Gunicorn(env, work / "gunicorn.log") as server:
                smoke(server, chosen, requests, s3)
                for endpoint in chosen:  # both workers: connections, templates, S3 client
                    if endpoint.role in (DOWNLOAD, PAGE):
                        run_load(server, endpoint, requests, max(CONNECTIONS), WARMUP_SECONDS)
                counts = settled_counts(server, s3)
                for conns in connections:
                    for endpoint in alternated(chosen):
                        run = Run(server, s3, (database, size, broker, conns), endpoint)
                        measurement, counts = run.measure(requests, counts, problems)
                        measurements.append(measurement)


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
            f" connections, {SECONDS} s per run, codes picked at random from the whole table;"
            " HEAD by benchmarks/headload.py (a thread per connection), which also sends its"
            " baseline",
            f"databases  PostgreSQL {services.postgres_version(POSTGRES_SERVER)} (a scratch"
            " database, dropped afterwards); SQLite (a temp file, WAL)",
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
