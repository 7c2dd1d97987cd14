"""A small load generator for HEAD, which wrk cannot measure; one result line like wrk.lua's.

    python -m benchmarks.headload --port PORT --file FILE --connections 4 --seconds 5 \
        [--header "Name: value" ...]

wrk's parser is not told that a request was a HEAD, so an answer with a Content-Length
makes it wait for a body that never comes: every request ends in a read error. Here each
connection is a thread that sends `HEAD <path> HTTP/1.1` and reads the status line and the
headers up to the blank line, nothing more. Like wrk: a path picked at random from the same
request file (lines of one width: the path, a tab, a body it ignores), latency from sending
the request to the last byte of the answer, a 5 s timeout, and answers of 400 and above
counted as failures. A new TCP connection per request: gunicorn's sync workers close each
one anyway, as they do wrk's. It stops by itself after --seconds: each thread finishes the
request it has in flight (at most the timeout later) and nothing is left for the server.

Run in a process of its own, so its CPU is not counted as the S3 emulator's (which lives in
the bench's process) and the emulator's threads do not hold its GIL.
"""

import argparse
import random
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import wrk

MARK = "HEADLOAD_RESULT"
TIMEOUT = 5.0  # seconds, as wrk's --timeout
HOST = "127.0.0.1"
END = b"\r\n\r\n"
LIMIT = 64 * 1024  # headers longer than this are a broken answer, not a slow one


class RequestFile:
    """Line k of a file whose lines all have one width, without splitting the whole file."""

    def __init__(self, data: bytes) -> None:
        self.width = data.find(b"\n") + 1
        if self.width <= 0 or len(data) % self.width:
            raise ValueError("lines of one width expected")
        self.data, self.lines = data, len(data) // self.width

    def path(self, k: int) -> str:
        line = self.data[k * self.width : (k + 1) * self.width - 1]
        return line.split(b"\t", 1)[0].decode("ascii")


def head_request(path: str, port: int, headers: list[tuple[str, str]]) -> bytes:
    """The bytes of one HEAD request; the connection closes after it (Connection: close)."""
    lines = [f"HEAD {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def status_of(answer: bytes) -> int:
    """The status code of an answer's status line; ValueError if it is not HTTP's."""
    version, code = answer.split(b"\r\n", 1)[0].split(b" ", 2)[:2]
    if not version.startswith(b"HTTP/") or not code.isdigit():
        raise ValueError(f"not a status line: {answer[:80]!r}")
    return int(code)


def percentile(sorted_values: list[int], percent: float) -> int:
    """Nearest-rank percentile of values sorted ascending (0 when there are none)."""
    if not sorted_values:
        return 0
    rank = max(1, -(-len(sorted_values) * percent // 100))  # ceil, at least the first
    return sorted_values[int(rank) - 1]


@dataclass
class Tally:
    """What one connection saw."""

    latencies_us: list[int] = field(default_factory=list)  # every answer, failed ones too
    errors: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("status", "connect", "read", "write", "timeout"), 0)
    )


def _exchange(request: bytes, port: int) -> tuple[bytes, int]:
    """Send the request and read the answer's head; (head, latency in µs). Raises
    _Failed with the kind of failure the tally counts."""
    step = "connect"
    try:
        with socket.create_connection((HOST, port), timeout=TIMEOUT) as conn:
            started = time.perf_counter_ns()
            step = "write"
            conn.sendall(request)
            step, answer = "read", b""
            while END not in answer and len(answer) < LIMIT:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
            return answer, (time.perf_counter_ns() - started) // 1000
    except TimeoutError as err:
        raise _Failed("timeout") from err
    except OSError as err:
        raise _Failed(step) from err


class _Failed(Exception):
    """A request that got no answer to measure; args[0] is its kind in Tally.errors."""


def one_request(request: bytes, port: int, tally: Tally) -> None:
    """Connect, send, read the answer's head; its latency or the kind of its failure."""
    try:
        answer, elapsed = _exchange(request, port)
        if END not in answer:
            raise _Failed("read")  # closed before the end of the headers
        status = status_of(answer)
    except _Failed as failed:
        tally.errors[failed.args[0]] += 1
        return
    except ValueError:  # not an HTTP status line
        tally.errors["read"] += 1
        return
    tally.latencies_us.append(elapsed)
    if status >= 400:
        tally.errors["status"] += 1


def connection(
    requests: RequestFile,
    port: int,
    headers: list[tuple[str, str]],
    deadline: float,
    seed: int,
    tally: Tally,
) -> None:
    """One connection's loop: a request after another until the deadline."""
    pick = random.Random(seed)  # noqa: S311 -- picks a request, not a secret
    while time.monotonic() < deadline:
        path = requests.path(pick.randrange(requests.lines))
        one_request(head_request(path, port, headers), port, tally)


def run(port: int, file: Path, connections: int, seconds: float, headers) -> str:
    """Load the server for `seconds` with `connections` threads; the result line."""
    requests = RequestFile(file.read_bytes())
    tallies = [Tally() for _ in range(connections)]
    started = time.monotonic()
    deadline = started + seconds
    seed = time.time_ns()
    threads = [
        threading.Thread(
            target=connection, args=(requests, port, headers, deadline, seed + n, tally)
        )
        for n, tally in enumerate(tallies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration_us = int((time.monotonic() - started) * 1e6)
    return result_line(tallies, duration_us)


def result_line(tallies: list[Tally], duration_us: int) -> str:
    """The line benchmarks.wrk.parse reads, with wrk.lua's fields."""
    latencies = sorted(value for tally in tallies for value in tally.latencies_us)
    errors = {name: sum(tally.errors[name] for tally in tallies) for name in tallies[0].errors}
    fields = {
        "requests": len(latencies),
        "duration_us": duration_us,
        "p50_us": percentile(latencies, 50),
        "p99_us": percentile(latencies, 99),
        "max_us": latencies[-1] if latencies else 0,
        **errors,
    }
    return " ".join([MARK, *(f"{name}={value}" for name, value in fields.items())])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="a server on 127.0.0.1")
    parser.add_argument("--file", type=Path, required=True, help="the request file")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--header", action="append", default=[], help='"Name: value"')
    args = parser.parse_args()
    headers = [tuple(part.strip() for part in h.split(":", 1)) for h in args.header]
    print(run(args.port, args.file, args.connections, args.seconds, headers))


def command(
    port: int,
    requests_file: Path,
    *,
    connections: int,
    seconds: int,
    headers: tuple[tuple[str, str], ...] = (),
) -> list[str]:
    """The command line for one measurement (our interpreter, this module)."""
    args = [sys.executable, "-m", "benchmarks.headload", f"--port={port}"]
    args += [f"--file={requests_file}", f"--connections={connections}", f"--seconds={seconds}"]
    for name, value in headers:
        args += ["--header", f"{name}: {value}"]
    return args


def measure(port: int, requests_file: Path, **options) -> wrk.Result:
    """Run headload once in its own process and return what it measured (a wrk.Result)."""
    done = subprocess.run(  # noqa: S603 -- our interpreter, our arguments
        command(port, requests_file, **options),
        capture_output=True,
        text=True,
        timeout=options["seconds"] + TIMEOUT + 60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"headload exited with {done.returncode}: {done.stderr[-3000:]}")
    return wrk.parse(done.stdout, mark=MARK)


if __name__ == "__main__":
    main()
