"""A wall-clock deadline for one request, for waits no client library bounds.

A database, an S3 endpoint or a middlebox that accepts the connection, acknowledges every
byte and never answers holds a client forever: a statement timeout is the server's, TCP
keepalives and tcp_user_timeout see a healthy peer. Only a timer of our own ends that wait.

In the main thread of a sync gunicorn worker (one request at a time) an ITIMER_REAL timer
raises DeadlineExceeded wherever the request is. psycopg 3 waits for the server in a loop
that wakes every 0.1 s and runs signal handlers (tests/test_deadline.py holds a real
PostgreSQL connection silent and checks), and botocore and redis-py wait in socket calls
that Python resumes after running the handler, so the exception surfaces in the wait
itself. Elsewhere (runserver's threads, the gthread worker, Celery) there is no deadline:
the libraries' own timeouts, and gunicorn's worker timeout, are the bounds there.
"""

import logging
import signal
import threading

# The signal module's signal() and getsignal() are these functions, wrapped to turn the
# handlers they return into enum members: a handler that is a function fails that
# conversion with a ValueError first, on every call, and every click arms and disarms one.
from _signal import getsignal
from _signal import signal as handler_set

from django.db import connections

logger = logging.getLogger(__name__)

# After the deadline has passed, the timer fires again at this interval until the request
# leaves the block: code that catches the first exception and carries on waiting (a
# library's cleanup, a broad except) is interrupted again instead of hanging.
REPEAT = 1.0


class DeadlineExceeded(BaseException):  # an interruption, as KeyboardInterrupt is
    """The request ran out of time.

    A BaseException, as KeyboardInterrupt is: botocore turns any Exception raised inside a
    request into a retryable error of its own and tries again, and other libraries catch
    Exception to carry on; this passes through them all to the view, which answers the 503
    page. Django's atomic() rolls back on it like on any exception.
    """


_fired = False  # whether the armed deadline has passed (one at a time: see available())


def _expire(signum, frame) -> None:
    global _fired
    _fired = True
    raise DeadlineExceeded("the request's deadline has passed")


def available() -> bool:
    """Whether a deadline can be armed here: the main thread, with no other timer set."""
    return (
        threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        and getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
    )


class deadline:  # named as the function it replaced: `with deadline(seconds) as armed:`
    """Raise DeadlineExceeded inside the block once `seconds` have passed; `as` gives
    whether it is armed.

    Nothing is armed for seconds <= 0 or where available() says no. When the deadline
    fired, the database connections the block may have left mid-query are closed on the
    way out: the next request opens fresh ones. A class calling the C signal functions,
    rather than a generator around signal's wrappers: 1.5 µs to arm and disarm, not 6.
    """

    __slots__ = ("armed", "previous", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self) -> bool:
        global _fired
        self.armed = self.seconds > 0 and available()
        if self.armed:
            _fired = False
            self.previous = handler_set(signal.SIGALRM, _expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds, REPEAT)
        return self.armed

    def __exit__(self, *exc_info) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            handler_set(signal.SIGALRM, self.previous)
            if _fired:
                _drop_connections()


def disarm() -> None:
    """End the current deadline early, for work that must not be interrupted.

    Once a click is committed the download is spent, and an interruption would answer 503
    for it: what follows a commit (publishing the owner's email) runs on its own bounds
    instead. Does nothing where no deadline is armed.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if getsignal(signal.SIGALRM) is _expire:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _drop_connections() -> None:
    # A connection interrupted mid-query still has the query in flight: libpq refuses the
    # next one ("another command is already in progress"). Closing it sends a Terminate
    # and does not wait for an answer. SQLite runs inside the process: a handler only runs
    # between its calls, so no SQLite connection is ever left mid-query.
    for connection in connections.all(initialized_only=True):
        if connection.vendor == "sqlite":
            continue
        try:
            connection.close()
        except Exception:  # already broken: nothing more to do
            logger.debug("closing %s after the deadline failed", connection.alias, exc_info=True)
