"""The bench's databases: one per table size, made, filled and kept surveyed for presence
as production's job would keep them (benchmarks.click measures on them)."""

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks import serverenv, services
from benchmarks.measure import progress

# The presence survey's job runs every 5 minutes; clicks trust a survey for
# SHARELINKS_VERIFY_OBJECT_CACHE (900 s by default). Before each round, a survey older than
# the job's interval is run again, so long runs (BENCH_SECONDS) never outlive it.
SURVEY_INTERVAL = 300
# Shares in the table, and how many of those added are never downloaded (the rest were once).
SIZES = ((1_000, 0), (200_000, 100_000))
POSTGRES_SERVER = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


@contextlib.contextmanager
def database_url(database: str, work: Path, size: int) -> Iterator[str]:
    """A scratch database of the bench's own for one table size, removed afterwards."""
    if database == "postgresql":
        name = f"sharelinks_bench_{os.getpid()}_{size}"
        with services.postgres_database(POSTGRES_SERVER, name) as url:
            yield url
    else:
        path = work / f"sqlite-{size}" / "bench.sqlite3"
        path.parent.mkdir()
        try:
            yield f"sqlite:///{path}"
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)


@dataclass(frozen=True)
class Table:
    """One filled database: its URL, its request files, and how many links each pool has."""

    size: int
    url: str
    requests: Path
    pools: dict[str, int]


def survey_when_due(database: str, tables, s3, work: Path, last: float) -> float:
    """Run the presence survey again on every table when the last one is older than its
    job's interval, as production's job would have by now, so no click outlives the
    survey it trusts (SHARELINKS_VERIFY_OBJECT_CACHE); the time of the latest survey. The
    servers keep running: a click reads the latest survey each time."""
    if time.monotonic() - last <= SURVEY_INTERVAL:
        return last
    for table in tables:
        again = serverenv.fill(serverenv.server_env(table.url, None, s3, work), ["--survey-only"])
        progress(f"{database}: presence survey again ({again['survey_s']} s)")
    return time.monotonic()


def table_fill(database: str, size: int, url: str, s3, work: Path) -> Table:
    """Fill a database to `size` shares in the steps SIZES gives (the large table begins as
    the small one is, so the two hold the same first 1,000 shares)."""
    requests = work / f"requests-{size}"
    env = serverenv.server_env(url, None, s3, work)
    for to, fresh in SIZES:
        if to > size:
            break
        summary = serverenv.fill(env, [f"--to={to}", f"--fresh={fresh}", f"--requests={requests}"])
        progress(
            f"{database}: {to:,} shares ({summary['added']:,} added with"
            f" {summary['people']:,} people in {summary['fill_s']} s; migrate"
            f" {summary['migrate_s']} s, presence survey {summary['survey_s']} s, request"
            f" files {summary['files_s']} s)"
        )
    return Table(size, url, requests, summary["pools"])
