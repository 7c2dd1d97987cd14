"""The cache where it only helps: a cache that fails is skipped, never a recipient's 500.

Two things on the click path use the cache and can do without it: the unknown-code guess
limit (which then lets guesses through: a 128-bit code is not found by guessing anyway) and
the memory of objects found in the bucket (the click then asks S3). When the cache fails
(Redis down, or holding the connection until CACHE_SOCKET_TIMEOUT), each call here falls
back, the cache is left alone for BACKOFF seconds so later requests do not each pay the
timeout, and one warning per LOG_EVERY seconds says so (not one per request).

Throttles that guard a secret (share passwords, staff sign-in) do not come here: failing
open is only acceptable where nothing is guarded.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

logger = logging.getLogger(__name__)

BACKOFF = 10.0  # seconds the cache is skipped after a failure
LOG_EVERY = 60.0  # seconds between two warnings about the same outage

T = TypeVar("T")

_lock = threading.Lock()
_skip_until = 0.0  # monotonic
_logged_at = -LOG_EVERY
_unlogged = 0  # failures since the last warning


def available() -> bool:
    """False while the cache is being skipped after a failure."""
    return time.monotonic() >= _skip_until


def attempt(operation: Callable[[], T], fallback: T, *, what: str) -> T:
    """operation()'s result, or fallback when the cache fails or is being skipped."""
    if not available():
        return fallback
    try:
        return operation()
    except Exception as err:  # redis, memcached, pickling: all the same here
        failed(err, what=what)
        return fallback


def failed(err: Exception, *, what: str) -> None:
    """Note a failure: skip the cache for BACKOFF seconds, warn at most every LOG_EVERY."""
    global _skip_until, _logged_at, _unlogged
    now = time.monotonic()
    with _lock:
        _skip_until = now + BACKOFF
        _unlogged += 1
        if now - _logged_at < LOG_EVERY:
            return
        count, _logged_at, _unlogged = _unlogged, now, 0
    logger.warning(
        "the cache is unavailable (%d failure(s) since the last warning; %s): the guess "
        "limit lets every guess through and found objects are asked of S3 again, until it "
        "answers: %s: %s",
        count,
        what,
        type(err).__name__,
        err,
    )


def _kind(key: str) -> str:
    # "sharelinks:guesses:203.0.113.0" -> "sharelinks:guesses": what, not whose.
    return key.rsplit(":", 1)[0]


def get(key: str, default=None):
    """cache.get(key, default), or default when the cache fails."""
    return attempt(lambda: cache.get(key, default), default, what=f"reading {_kind(key)}")


def set(key: str, value, timeout: float) -> None:  # the cache's own verb
    """cache.set(...), or nothing when the cache fails."""
    attempt(lambda: cache.set(key, value, timeout), None, what=f"writing {_kind(key)}")


def forget() -> None:
    """Use the cache again at once and warn afresh (tests)."""
    global _skip_until, _logged_at, _unlogged
    with _lock:
        _skip_until, _logged_at, _unlogged = 0.0, -LOG_EVERY, 0
