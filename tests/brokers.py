"""Point the Celery app of this process at another broker for a while (tests only)."""

import contextlib
import socket
import threading

from project.celery import app as celery_app

# A loopback port nothing listens on: connecting fails at once, like a broker that is down.
UNREACHABLE = "redis://127.0.0.1:1/0"


def _reset_pools() -> None:
    # The app keeps a connection pool and a producer pool built from the broker URL it
    # first saw; forget both so the next publish connects to the URL now configured.
    celery_app._after_fork()
    from sharelinks.mail import dispatch

    dispatch._broker_down_until = 0.0  # a new broker gets a fresh chance


@contextlib.contextmanager
def broker(url: str, queue: str | None = None):
    """Publish to url (and queue) instead of running tasks eagerly, until the block ends."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager, conf.task_default_queue
    conf.broker_url, conf.task_always_eager = url, False
    conf.task_default_queue = queue or conf.task_default_queue
    _reset_pools()
    try:
        yield celery_app
    finally:
        conf.broker_url, conf.task_always_eager, conf.task_default_queue = saved
        _reset_pools()


@contextlib.contextmanager
def silent_server():
    """Yield the port of a server that accepts connections and never says a word.

    It plays a hung broker or mail server (stuck in a fork, a half-dead proxy): the TCP
    connection succeeds, and only a socket timeout ends the wait for an answer.
    """
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
