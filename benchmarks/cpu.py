"""Where a run's CPU went: the web server's processes, the database server's, the machine.

A ratio to the baseline says how much dearer a request is, not which part pays for it. On
a 2-CPU host the server, PostgreSQL and the load generator share both CPUs, so a download
that the database spends 300 µs on is 300 µs the server did not have. Each run reads the
CPU time Linux has counted (/proc) before and after the load: gunicorn's master and
workers, every thread included; of that, the workers' threads other than the one that
serves requests, which is the mail thread's sending or publishing of the emails after the
answer (a sync worker serves requests in its main thread, and the app's only other
thread, the credentials' recheck, runs once in a while; a thread that has ended is
counted only in the whole); the PostgreSQL server's processes, when it runs on this host;
and every CPU of the machine, busy in any process or the kernel (the load generator, the
network stack, the S3 emulator). Divided by the requests answered, that is the table's
CPU per request. Elsewhere than Linux, or for a database on another host, the part reads
as unknown.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROC = Path("/proc")
# Fields of /proc/stat's "cpu" line that count busy time: user, nice, system, irq, softirq
# (not idle, iowait, or steal, which the hypervisor gave to another guest).
_BUSY_FIELDS = (0, 1, 2, 5, 6)


@dataclass(frozen=True)
class Sample:
    """CPU seconds counted so far, by part; None where the part cannot be read."""

    server: float | None
    database: float | None
    machine: float | None
    mail: float | None = None  # of server: the workers' threads that serve no request

    def __sub__(self, before: "Sample") -> "Sample":
        def minus(after: float | None, earlier: float | None) -> float | None:
            return None if after is None or earlier is None else after - earlier

        return Sample(
            minus(self.server, before.server),
            minus(self.database, before.database),
            minus(self.machine, before.machine),
            minus(self.mail, before.mail),
        )


NOTHING = Sample(None, None, None, None)


def _ticks() -> int:
    return os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _fields(stat_line: str) -> list[str]:
    # The fields after the command name, which is in parentheses and may hold spaces:
    # [0] the state, [1] the parent's pid, [11] and [12] user and system time.
    return stat_line.rpartition(")")[2].split()


def process_seconds(stat_line: str) -> float:
    """utime + stime of one /proc/<pid>/stat line, in seconds: every thread of the process,
    those that have ended included."""
    fields = _fields(stat_line)
    return (int(fields[11]) + int(fields[12])) / _ticks()


def machine_seconds(proc_stat: str) -> float:
    """Busy time of every CPU together, from /proc/stat."""
    for line in proc_stat.splitlines():
        if line.startswith("cpu "):
            values = line.split()[1:]
            return sum(int(values[i]) for i in _BUSY_FIELDS) / _ticks()
    raise ValueError("no 'cpu' line in /proc/stat")


def _stat(pid: int | str, thread: str | None = None) -> str | None:
    """/proc/<pid>/stat, or with `thread` that one thread's (the same fields)."""
    path = PROC / str(pid) if thread is None else PROC / str(pid) / "task" / str(thread)
    try:
        return (path / "stat").read_text()
    except OSError:  # ended meanwhile
        return None


def _processes() -> Iterator[tuple[int, str]]:
    """(pid, its stat line) of every process running now."""
    for entry in PROC.iterdir():
        line = _stat(entry.name) if entry.name.isdigit() else None
        if line is not None:
            yield int(entry.name), line


def _parent(stat_line: str) -> int:
    return int(_fields(stat_line)[1])


def _server(pid: int, processes: dict[int, str]) -> tuple[float | None, float | None]:
    """The master's and its workers' (every process whose parent it is) CPU; and of that,
    the workers' threads other than their main thread, which serves the requests (None
    where the threads could not be listed)."""
    if pid not in processes:
        return None, None
    workers = [child for child, line in processes.items() if _parent(line) == pid]
    total = sum(process_seconds(processes[process]) for process in (pid, *workers))
    try:
        others = sum(_other_threads(worker) for worker in workers)
    except OSError:  # a worker that ended meanwhile
        return total, None
    return total, others


def _other_threads(pid: int) -> float:
    """The CPU of a process's threads but its main one (whose id is the process's own)."""
    seconds = 0.0
    for thread in (PROC / str(pid) / "task").iterdir():
        line = _stat(pid, thread=thread.name) if thread.name != str(pid) else None
        if line is not None:  # not the main thread, and not ended meanwhile
            seconds += process_seconds(line)
    return seconds


def _postgres(processes: dict[int, str]) -> float:
    # The postmaster, its background processes and the backends: all are named "postgres".
    # A backend that ends between two samples takes its CPU with it; the server's workers
    # keep theirs open (CONN_MAX_AGE), so during a run none ends.
    return sum(
        process_seconds(line)
        for line in processes.values()
        if line.partition(" (")[2].startswith("postgres)")
    )


def database_here(database_url: str) -> bool:
    """Whether the database is a PostgreSQL server on this host (whose processes we can see)."""
    parts = urlsplit(database_url)
    return parts.scheme.startswith("postgres") and parts.hostname in (
        "127.0.0.1", "localhost", "::1", None
    )  # fmt: skip


def sample(server_pid: int, database_here: bool) -> Sample:
    """What the server (gunicorn's master pid and its workers), the database (PostgreSQL on
    this host, when database_here) and the machine have used so far."""
    if not (PROC / "stat").exists():
        return NOTHING
    processes = dict(_processes())  # one walk for both: the same moment for each
    server, mail = _server(server_pid, processes)
    return Sample(
        server=server,
        database=_postgres(processes) if database_here else None,
        machine=machine_seconds((PROC / "stat").read_text()),
        mail=mail,
    )
