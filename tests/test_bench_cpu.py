"""`make bench`'s CPU per request by part: read from /proc, divided by the requests answered."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import cpu, printout, report, wrk
from benchmarks.endpoints import BASELINE_ENDPOINT, ENDPOINTS

DOWNLOAD = next(e for e in ENDPOINTS if e.name == "POST /s/<code>")
linux_only = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads Linux's /proc")


def measurement(endpoint, requests: int, sample: cpu.Sample) -> report.Measurement:
    result = wrk.Result(
        requests=requests, seconds=5.0, p50_ms=1.0, p99_ms=2.0, max_ms=3.0,
        errors={"status": 0, "connect": 0, "read": 0, "write": 0, "timeout": 0},
    )  # fmt: skip
    return report.Measurement(
        "postgresql", 200_000, "none", 2, endpoint, result, clicks=requests, cpu=sample
    )


def test_a_process_line_gives_user_plus_system_time_even_with_a_parenthesis_in_its_name():
    ticks = os.sysconf("SC_CLK_TCK")
    # pid (comm) state ppid ... utime (14th field) stime (15th): 150 + 50 ticks.
    line = "4242 (gunicorn: (worker) x) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 3 0\n"

    assert cpu.process_seconds(line) == pytest.approx(200 / ticks)


def test_the_machine_counts_busy_time_and_not_idle_iowait_or_steal():
    ticks = os.sysconf("SC_CLK_TCK")
    # user nice system idle iowait irq softirq steal guest guest_nice
    proc_stat = "cpu  100 10 40 9000 300 5 15 700 0 0\ncpu0 50 5 20 4500 150 2 7 350 0 0\n"

    assert cpu.machine_seconds(proc_stat) == pytest.approx(170 / ticks)


def test_a_part_not_read_before_or_after_stays_unknown():
    before = cpu.Sample(server=1.0, database=None, machine=10.0)
    after = cpu.Sample(server=1.5, database=2.0, machine=12.0)

    assert after - before == cpu.Sample(server=0.5, database=None, machine=2.0)


@pytest.mark.parametrize(
    ("url", "here"),
    [
        ("postgres://postgres@127.0.0.1:5432/bench", True),
        ("postgresql://postgres@localhost/bench", True),
        ("postgres:///bench", True),  # the local socket
        ("postgres://postgres@db.internal:5432/bench", False),
        ("sqlite:////tmp/bench.sqlite3", False),
    ],
)
def test_only_a_postgresql_server_on_this_host_is_counted(url, here):
    assert cpu.database_here(url) is here


def test_workers_are_found_by_their_parent_where_the_kernel_lists_no_children(
    tmp_path, monkeypatch
):
    ticks = os.sysconf("SC_CLK_TCK")

    def stat(where: Path, pid: int, parent: int, name: str, used: int) -> None:
        where.mkdir(parents=True)
        line = f"{pid} ({name}) S {parent} 0 0 0 0 0 0 0 0 0 {used} 0 0 0 20 0 1 0\n"
        (where / "stat").write_text(line)

    def process(pid: int, parent: int, name: str, *threads: int) -> None:
        # The process's own line counts every thread; task/<tid> has each thread's, the
        # main thread's under the process's own id.
        stat(tmp_path / str(pid), pid, parent, name, sum(threads))
        for tid, used in enumerate(threads, start=pid):
            stat(tmp_path / str(pid) / "task" / str(tid), pid, parent, name, used)

    process(100, 1, "gunicorn", 10)  # the master
    process(101, 100, "gunicorn", 150, 50)  # its workers: the main thread, the mail thread
    process(102, 100, "gunicorn", 280, 20)
    process(110, 1, "postgres", 1000)  # somebody else's
    (tmp_path / "stat").write_text("cpu  0 0 0 0 0 0 0 0 0 0\n")
    monkeypatch.setattr(cpu, "PROC", tmp_path)

    sample = cpu.sample(100, database_here=True)

    assert sample.server == pytest.approx(510 / ticks)
    assert sample.mail == pytest.approx(70 / ticks)  # the workers' other threads
    assert sample.database == pytest.approx(1000 / ticks)


def test_rows_give_each_parts_cpu_per_answered_request_over_all_their_runs():
    runs = [
        measurement(DOWNLOAD, 1000, cpu.Sample(server=0.9, database=0.3, machine=1.3, mail=0.1)),
        measurement(DOWNLOAD, 3000, cpu.Sample(server=2.7, database=0.9, machine=3.9, mail=0.3)),
    ]

    assert report.per_request(runs) == cpu.Sample(
        server=pytest.approx(900),
        database=pytest.approx(300),
        machine=pytest.approx(1300),
        mail=pytest.approx(100),
    )
    # One run that could not read a part makes the row's part unknown, not smaller.
    runs.append(measurement(DOWNLOAD, 1000, cpu.Sample(server=0.9, database=None, machine=1.3)))
    assert report.per_request(runs).database is None
    assert report.per_request(runs).mail is None


def test_the_table_prints_the_parts_and_a_dash_for_one_not_read():
    group = [
        measurement(BASELINE_ENDPOINT, 4000, cpu.Sample(server=1.7, database=None, machine=2.0)),
        measurement(DOWNLOAD, 1500, cpu.Sample(server=1.4, database=0.4, machine=2.0)),
        measurement(BASELINE_ENDPOINT, 4000, cpu.Sample(server=1.7, database=None, machine=2.0)),
    ]

    base, download = printout.table(report.rows(group, 200_000)).splitlines()[2:]

    assert base.split()[-4:] == ["425", "-", "-", "500"]
    assert download.split()[-4:] == ["933", "-", "267", "1333"]


CHILD = """
import pathlib, sys, threading, time
go, burnt = map(pathlib.Path, sys.argv[1:])
while not go.exists():
    time.sleep(0.01)

def burn(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass

def mail(done):  # as the mail thread: it works, then waits for more, alive
    burn(0.2)
    done.set()
    time.sleep(60)

done = threading.Event()
threading.Thread(target=mail, args=(done,), daemon=True).start()
burn(0.3)  # the main thread, which serves the requests
done.wait()
burnt.touch()
time.sleep(60)
"""


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


@linux_only
def test_a_sample_counts_what_the_servers_worker_spends(tmp_path):
    # A real parent and child, as gunicorn's master and a worker: between the two samples
    # the child burns 0.3 s of CPU in its main thread and 0.2 s in another thread.
    go, burnt = tmp_path / "go", tmp_path / "burnt"
    child = [sys.executable, "-c", CHILD, str(go), str(burnt)]
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess; subprocess.run({child!r})"],
        start_new_session=True,
    )
    try:
        _wait_for(
            lambda: any(cpu._parent(line) == parent.pid for _, line in cpu._processes()),
            "the worker to start",
        )
        before = cpu.sample(parent.pid, database_here=False)
        go.touch()
        _wait_for(burnt.exists, "the worker to burn its CPU")
        spent = cpu.sample(parent.pid, database_here=False) - before
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)

    assert spent.server == pytest.approx(0.5, abs=0.05)
    assert spent.mail == pytest.approx(0.2, abs=0.05)
    assert spent.machine >= spent.server - 0.05
    assert spent.database is None
