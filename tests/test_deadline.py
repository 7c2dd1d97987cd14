"""The request deadline: it interrupts any wait in the main thread, and only there."""

import signal
import socket
import threading
import time

import psycopg
import pytest

from sharelinks.deadline import DeadlineExceeded, deadline, disarm
from tests.faults import FaultProxy


def test_a_wait_in_the_main_thread_is_interrupted_when_the_deadline_passes():
    armed = []

    def wait():
        with deadline(0.2) as on:
            armed.append(on)
            time.sleep(30)

    with pytest.raises(DeadlineExceeded):
        wait()
    assert armed == [True]


def test_a_socket_read_that_never_ends_is_interrupted_too(hang_guard):
    with FaultProxy(mode="hold") as proxy, socket.create_connection(("127.0.0.1", proxy.port)) as s:
        s.settimeout(None)  # a library that waits forever
        with pytest.raises(DeadlineExceeded), deadline(0.2):
            s.recv(1)


def test_the_timer_and_the_previous_handler_are_restored_after_the_block():
    with deadline(5):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)


def test_code_that_swallows_the_first_interruption_is_interrupted_again():
    caught = []

    def stubborn_wait():
        with deadline(0.1):
            try:
                time.sleep(30)
            except DeadlineExceeded:
                caught.append("first")  # a library's broad except, carrying on waiting
            time.sleep(30)

    with pytest.raises(DeadlineExceeded):
        stubborn_wait()
    assert caught == ["first"]


def test_zero_means_no_deadline():
    with deadline(0) as armed:
        assert not armed
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_other_threads_get_no_deadline():
    # The gthread worker, runserver: a signal would interrupt the main thread instead.
    seen = []

    def request():
        with deadline(0.1) as armed:
            seen.append(armed)

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    assert seen == [False]


def test_a_deadline_inside_another_one_leaves_the_outer_alone():
    armed = []

    def nested():
        with deadline(0.2) as outer:
            with deadline(5) as inner:
                armed.append((outer, inner))
            time.sleep(30)

    with pytest.raises(DeadlineExceeded):
        nested()
    assert armed == [(True, False)]


@pytest.mark.postgres
def test_psycopg_waiting_on_a_silent_server_is_interrupted(hang_guard):
    # The reason the deadline exists: psycopg 3 waits for PostgreSQL's answer in a loop that
    # runs signal handlers, so an exception raised by the handler ends the wait. Checked on
    # a real connection whose server goes silent mid-life.
    import os

    target = psycopg.conninfo.conninfo_to_dict(os.environ["TEST_DATABASE_URL"])
    host, port = target.get("host") or "127.0.0.1", int(target.get("port") or 5432)
    with FaultProxy((host, port)) as proxy:
        params = {**target, "host": "127.0.0.1", "port": proxy.port, "connect_timeout": 3}
        conn = psycopg.connect(**params)
        try:
            assert conn.execute("SELECT 1").fetchone() == (1,)
            proxy.hold()
            with pytest.raises(DeadlineExceeded), deadline(0.5):
                conn.execute("SELECT 1")
            # The query is still in flight: libpq refuses another one at once, no wait.
            with pytest.raises(psycopg.OperationalError, match="another command"):
                conn.rollback()
        finally:
            conn.close()  # sends a Terminate, waits for nothing


def test_disarmed_after_a_commit_it_interrupts_nothing():
    with deadline(0.1) as armed:
        disarm()
        time.sleep(0.3)
    assert armed


def test_disarm_leaves_timers_of_others_alone():
    disarm()  # no deadline armed: nothing to do
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
