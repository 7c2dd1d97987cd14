"""One measurement: check an endpoint answers, load it (wrk, or headload for HEAD), count
what the requests left behind."""

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from benchmarks import cpu, endpoints, headload, report, services, wrk
from benchmarks.endpoints import DOWNLOAD, FRESH, HEADLOAD, Endpoint
from benchmarks.fill import BUCKET

# Each endpoint is measured ROUNDS times for SECONDS each, the rounds one after the other
# (docs/performance.md: why several short runs rather than one long one).
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
STARTED = time.monotonic()


def smoke(server, chosen: list[Endpoint], requests: Path, s3: services.S3Server) -> None:
    """One request of each endpoint must answer as expected before anything is measured."""
    for endpoint in chosen:
        with request_file(requests, endpoint).open() as lines:
            line = lines.readline()
        path, _, body = line.rstrip("\n").partition("\t")
        status, _, headers = services.http_request(
            server.port,
            endpoint.method,
            path,
            body.rstrip().encode() or None,
            headers=dict((*endpoints.COMMON_HEADERS, *endpoint.headers)),
        )
        if status != endpoint.expect:
            raise RuntimeError(
                f"{endpoint.name} answered {status}, not {endpoint.expect}:\n{server.tail()}"
            )
        location = headers.get("Location", "")
        if (
            endpoint.role == DOWNLOAD
            and endpoint.expect in (302, 303)
            and not (
                location.startswith(f"{s3.endpoint}/{BUCKET}/") and "X-Amz-Signature=" in location
            )
        ):
            raise RuntimeError(f"{endpoint.name} redirected to {location!r}, not a presigned URL")


class Run:
    """One measured run of one endpoint in one set-up."""

    def __init__(self, server, s3, where: tuple[str, int, str, int], endpoint: Endpoint) -> None:
        self.server, self.s3, self.where, self.endpoint = server, s3, where, endpoint
        self.database_here = cpu.database_here(server.env["DATABASE_URL"])

    def measure(self, requests: Path, before: dict, problems: list[str]):
        """The Measurement, and the counts after it; problems get what went wrong."""
        database, size, broker, conns = self.where
        parts = self._cpu()
        s3_cpu = time.process_time()  # this process's CPU while the load runs: the emulator's
        result = run_load(self.server, self.endpoint, requests, conns, SECONDS)
        s3_cpu = time.process_time() - s3_cpu
        # Without a broker the web processes' mail threads send what the run queued, and go
        # on after the load stops: that time is the run's too, or its req/s would count
        # emails not sent yet and the next run would pay for them. Its CPU is read after
        # them (and the polls that waited for them); any other run's as the load stops.
        draining = broker == "none" and self.endpoint.pool == FRESH
        spent = None if draining else self._cpu() - parts
        after = settled_counts(self.server, self.s3)
        if draining:
            drained = emails_drained(self.server)
            result = dataclasses.replace(result, seconds=result.seconds + drained)
            spent = self._cpu() - parts
        clicks, emails, heads = (after[k] - before[k] for k in ("clicks", "emails", "s3_heads"))
        label = f"{database} {size:,} {broker} c={conns} {self.endpoint.name}"
        progress(
            f"  {label}: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99"
            f" {result.p99_ms:.1f} ms, {result.failed} failed; {clicks} clicks, {emails}"
            f" emails, {heads} S3 HEADs"
        )
        if result.failed:
            problems.append(
                f"{label}: {result.failed} of {result.requests} failed: {result.errors}"
            )
        # Each answered download (through a share's link or a person's), each page view and
        # each floor write is one click row, and nothing else writes one (HEAD neither).
        # Requests in flight when wrk stopped are answered after it: at most one per connection.
        counted = result.requests - result.errors["status"] if self.endpoint.clicks else 0
        if not counted <= clicks <= counted + (conns if counted else 0):
            problems.append(f"{label}: {clicks} click rows for {counted} counted answers")
        measurement = report.Measurement(
            database, size, broker, conns, self.endpoint, result, clicks, emails, heads, s3_cpu,
            spent,
        )  # fmt: skip
        return measurement, after

    def _cpu(self) -> cpu.Sample:
        return cpu.sample(self.server.process.pid, self.database_here)


def run_load(server, endpoint: Endpoint, requests: Path, connections: int, seconds: int):
    """Load the endpoint with its own load generator; a wrk.Result either way."""
    if endpoint.tool == HEADLOAD:
        return headload.measure(
            server.port,
            request_file(requests, endpoint),
            connections=connections,
            seconds=seconds,
            headers=(*endpoints.COMMON_HEADERS, *endpoint.headers),
        )
    return wrk.run(
        server.url,
        endpoint.method,
        request_file(requests, endpoint),
        connections=connections,
        seconds=seconds,
        headers=(*endpoints.COMMON_HEADERS, *endpoint.headers),
    )


def request_file(requests: Path, endpoint: Endpoint) -> Path:
    return requests / f"{endpoints.slug(endpoint)}.tsv"


def settled_counts(server: services.Gunicorn, s3: services.S3Server) -> dict[str, int]:
    """Clicks, emails and S3 HEADs once the requests the load left in flight are answered.

    wrk stops with a request in flight on each connection, and gunicorn still answers
    them. Connections are accepted oldest first, and a sync worker answers one at a time:
    once every worker has answered a request sent after wrk stopped, each has finished
    whatever it took before it, and the next count is complete.
    """
    answered: set[int] = set()
    deadline = time.monotonic() + 60
    while len(answered) < server.workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"a worker stayed busy for a minute:\n{server.tail()}")
        answered.add(_counts(server)["worker"])
        time.sleep(0.02)  # leave the busy worker the CPU
    counts = _counts(server)
    return {"clicks": counts["clicks"], "emails": counts["emails"], "s3_heads": s3.heads}


def emails_drained(server: services.Gunicorn, timeout: float = 300) -> float:
    """Seconds until no owner's email is left unsent (broker none: the mail threads send)."""
    started = time.monotonic()
    while _counts(server)["unsent"]:
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"emails still unsent after {timeout:.0f} s:\n{server.tail()}")
        time.sleep(0.05)
    return time.monotonic() - started


def _counts(server: services.Gunicorn) -> dict[str, int]:
    status, body, _ = services.http_request(server.port, "GET", "/bench/counts")
    if status != 200:
        raise RuntimeError(f"/bench/counts answered {status}:\n{server.tail()}")
    return json.loads(body)


def progress(text: str) -> None:
    minutes, seconds = divmod(int(time.monotonic() - STARTED), 60)
    print(f"[{minutes:2}:{seconds:02}] {text}", file=sys.stderr, flush=True)
