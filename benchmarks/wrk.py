"""Drive wrk with benchmarks/wrk.lua and read the one line its done() prints."""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk.lua")
THREADS = 2
MARK = "WRK_RESULT"
_FIELDS = ("requests", "duration_us", "p50_us", "p99_us", "max_us")
_ERRORS = ("status", "connect", "read", "write", "timeout")


@dataclass(frozen=True)
class Result:
    """One wrk run: answers, time, latency percentiles, and what failed."""

    requests: int  # answers received, failed ones included
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]  # status: answers >= 400; the rest are socket errors and timeouts

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def parse(output: str, mark: str = MARK) -> Result:
    """The Result in wrk's output (or headload's, whose line has another mark and the same
    fields); ValueError when the line is missing or incomplete."""
    lines = [line for line in output.splitlines() if line.startswith(mark + " ")]
    if not lines:
        raise ValueError(f"no {mark} line in the output:\n{output}")
    values = {}
    for item in lines[-1].split()[1:]:
        name, _, number = item.partition("=")
        values[name] = int(number)
    missing = [name for name in (*_FIELDS, *_ERRORS) if name not in values]
    if missing:
        raise ValueError(f"{mark} line without {', '.join(missing)}: {lines[-1]}")
    return Result(
        requests=values["requests"],
        seconds=values["duration_us"] / 1e6,
        p50_ms=values["p50_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        max_ms=values["max_us"] / 1000,
        errors={name: values[name] for name in _ERRORS},
    )


def command(
    url: str,
    method: str,
    requests_file: Path,
    *,
    connections: int,
    seconds: int,
    headers: tuple[tuple[str, str], ...] = (),
) -> list[str]:
    """The wrk command line for one measurement."""
    args = [
        shutil.which("wrk") or "wrk",
        f"--threads={min(THREADS, connections)}",
        f"--connections={connections}",
    ]
    args += [f"--duration={seconds}s", "--timeout=5s", f"--script={SCRIPT}"]
    for name, value in headers:
        args += ["--header", f"{name}: {value}"]
    return [*args, url, "--", method, str(requests_file)]


def run(url: str, method: str, requests_file: Path, **options) -> Result:
    """Run wrk once and return what it measured."""
    seconds = options["seconds"]
    done = subprocess.run(  # noqa: S603 -- a fixed program and our own arguments
        command(url, method, requests_file, **options),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr or done.stdout}")
    return parse(done.stdout)
