"""A click's email, published after its answer by a thread of the web process.

A recipient who presses Download waits for nothing but the count: the counting statement
has written the owner's email row, and the row's id is handed to this process's mail
thread, which publishes it to the broker (without one, sends it) while the worker answers
the next click. Ids that arrive close together go out as one task that fans out to one send
task each in the worker (tasks.deliveries_fan_out), so a busy web process pays one publish
per batch instead of one per download.

The queue is a doorbell, not a record: the rows are committed before their ids are handed
over. Ids lost with the process (killed, out of memory) or refused by a full queue leave
their rows pending, and the sweeper publishes them (SHARELINKS_OUTBOX_SWEEP_AFTER). On an
orderly exit (gunicorn's graceful stop, max_requests) the thread is given EXIT_DRAIN
seconds to empty the queue (drain). SHARELINKS_MAIL_AFTER_ANSWER=false publishes inside the request
instead, as staff actions always do.
"""

import atexit
import logging
import os
import queue
import sys
import threading
import time

from django.db import close_old_connections, connections, transaction

from sharelinks.conf import app_settings
from sharelinks.mail.dispatch import deliveries_dispatch, deliveries_publish

logger = logging.getLogger(__name__)

# A batch closes once no id has come for GATHER_QUIET, or GATHER_MAX after its first id,
# or at MAX_BATCH ids. A download alone is on its way a twentieth of a second later; under
# load, when ids keep coming, a batch carries a second's worth of downloads (one publish,
# or one digest, for all), and the thread, which holds the interpreter lock while it
# builds emails, does so once a second instead of for every few downloads. The thread
# sleeps through each slice instead of waking for every id. MAX_BATCH is a second's worth
# for a worker answering 1,000 first downloads a second: sending a batch without a broker
# costs about 7 ms of Python whatever its size (reading what the digest shows, rendering
# it) and about 10 µs more per email. At 200 ids, the earlier cap, a worker answering 600
# a second paid the 7 ms three times a second instead of once: 48 µs of Python per email
# against 23 (6,000 emails sent in batches of 200, and of 600).
GATHER_QUIET = 0.05
GATHER_MAX = 1.0
MAX_BATCH = 1_000
MAX_WAITING = 10_000  # ids beyond this are left to the sweeper
EXIT_DRAIN = 5.0  # seconds an orderly exit gives the queue
# While the thread builds a batch's emails it holds the interpreter lock, and the worker's
# request waits for it: Python hands the lock over after this many seconds (5 ms by
# default). This slice, in a process that has the thread, took the p99 of first downloads
# without a broker from about 20 ms to 10-14 ms (wrk, 4 connections, 2 workers); with one
# thread running it changes nothing.
SWITCH_INTERVAL = 0.001
_STOP = None  # the sentinel that ends the thread

_lock = threading.Lock()
_pid = 0
_queue: "queue.Queue[int | None]"
_thread: threading.Thread | None = None


def deliveries_hand_off(ids: list[int]) -> None:
    """Once the caller commits (at once outside a transaction), hand these rows to the mail
    thread, which publishes them after the answer; never raises. With
    SHARELINKS_MAIL_AFTER_ANSWER off, publish them on commit inside the request instead."""
    if not ids:
        return
    if not app_settings.MAIL_AFTER_ANSWER:
        deliveries_dispatch(ids)
        return
    transaction.on_commit(lambda: _queued(ids), robust=True)


def _queued(ids: list[int]) -> None:
    waiting = _started()
    for pk in ids:
        try:
            waiting.put_nowait(pk)
        except queue.Full:
            logger.warning("email %s stays pending for the sweeper: the mail thread is behind", pk)


def _started() -> "queue.Queue[int | None]":
    """This process's queue, with its thread running (started in a forked worker anew)."""
    global _pid, _queue, _thread
    with _lock:
        if _pid != os.getpid() or _thread is None or not _thread.is_alive():
            if _pid != os.getpid():
                _queue = queue.Queue(MAX_WAITING)
                _pid = os.getpid()
            _thread = threading.Thread(target=_run, args=(_queue,), name="sharelinks-mail")
            _thread.daemon = True  # an exit that skips atexit leaves the rest to the sweeper
            _thread.start()
        return _queue


def _run(waiting: "queue.Queue[int | None]") -> None:
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
    while True:
        batch = _gathered(waiting)
        ids = [pk for pk in batch if pk is not _STOP]
        if ids:
            _publish(ids)
        if len(ids) < len(batch):
            connections.close_all()
            return


def _gathered(waiting: "queue.Queue[int | None]") -> list[int | None]:
    """The next id and those that follow it closely (see GATHER_QUIET), up to MAX_BATCH
    ids or the sentinel.

    The thread sleeps through each slice and then takes what came in it: a click hands
    its id over without waking anyone but the first of a batch.
    """
    batch = [waiting.get()]
    closes = time.monotonic() + GATHER_MAX
    while batch[-1] is not _STOP and len(batch) < MAX_BATCH:
        time.sleep(max(0.0, min(GATHER_QUIET, closes - time.monotonic())))
        came = _waiting(waiting, MAX_BATCH - len(batch))
        batch += came
        if not came or time.monotonic() >= closes:
            break
    return batch


def _waiting(waiting: "queue.Queue[int | None]", room: int) -> list[int | None]:
    """What is in the queue now, up to `room` ids or the sentinel, without waiting."""
    taken: list[int | None] = []
    while len(taken) < room and (not taken or taken[-1] is not _STOP):
        try:
            taken.append(waiting.get_nowait())
        except queue.Empty:
            break
    return taken


def _publish(ids: list[int]) -> None:
    # This thread's own database connection (sending without a broker reads the rows): made
    # fresh when the last one broke or outlived CONN_MAX_AGE, as a request's would be.
    close_old_connections()
    try:
        deliveries_publish(ids, batched=True)
    except Exception:  # deliveries_publish logs its own failures; anything else is a bug
        logger.exception("emails %s: the mail thread could not publish them", ids)


@atexit.register
def drain(timeout: float = EXIT_DRAIN) -> None:
    """Let the thread publish what is waiting, then end it (an orderly exit, a test's end)."""
    thread = _thread
    if thread is None or _pid != os.getpid() or not thread.is_alive():
        return
    try:
        _queue.put(_STOP, timeout=timeout)
    except queue.Full:
        return
    thread.join(timeout)
