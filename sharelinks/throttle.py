"""Throttles: unknown-code guessing (in the cache), and failure counters in the database.

Slows down code guessing: too many unknown codes from one network get 429 for a while.

128-bit codes cannot be guessed anyway; the limit keeps scanners from filling logs with
noise, and answers them cheaply. Codes that name a share always go through (see
views._unknown), so a blocked network never loses a real link. Counting is per truncated
network (the same /24 or /48 the click log keeps), in the cache, so it spans all web
processes when the cache is Redis.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from sharelinks import softcache
from sharelinks.conf import app_settings
from sharelinks.models import ThrottleCounter


def _key(network: str | None) -> str:
    return f"sharelinks:guesses:{network or 'unknown'}"


def guesses_exceeded(network: str | None) -> bool:
    """True when this network has spent its unknown-code allowance for the window.

    Fails open: without a cache every guess gets its 404 (sharelinks.softcache).
    """
    return softcache.get(_key(network), 0) >= app_settings.GUESS_LIMIT


def guess_record(network: str | None) -> None:
    """Count one unknown or malformed code from this network (nothing without a cache)."""
    key, window = _key(network), app_settings.GUESS_WINDOW
    softcache.attempt(lambda: count_in_window(key, window), None, what="counting guesses")


def count_in_window(key: str, window: int) -> None:
    """Add one to a cache counter that starts at the first event and lasts `window` seconds."""
    if cache.add(key, 1, timeout=window):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)


# -- counters in the database, for throttles that guard a secret ---------------------------


@dataclass(frozen=True)
class Failures:
    """Failures under one key within the current window, and when the last one was."""

    count: int
    last_at: datetime | None
    window_ends: datetime | None

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the window ends (at least 1)."""
        if self.window_ends is None:
            return 1
        return max(1, math.ceil((self.window_ends - now).total_seconds()))


def failures_get(key: str, *, window: int, now: datetime) -> Failures:
    """The failures counted under key in a window that has not ended yet (one indexed read)."""
    row = ThrottleCounter.objects.filter(key=key).values_list(
        "failures", "last_failure_at", "window_start"
    )
    found = row.first()
    if found is None:
        return Failures(0, None, None)
    count, last_at, start = found
    ends = start + timedelta(seconds=window)
    if ends <= now:
        return Failures(0, None, None)
    return Failures(count, last_at, ends)


def failure_record(key: str, *, window: int, now: datetime) -> None:
    """Count one failure under key; a window that has ended starts again from this one."""
    start_over = now - timedelta(seconds=window)
    with transaction.atomic():
        row, created = ThrottleCounter.objects.select_for_update().get_or_create(
            key=key, defaults={"window_start": now, "failures": 1, "last_failure_at": now}
        )
        if created:
            return
        if row.window_start <= start_over:
            row.window_start, row.failures = now, 1
        else:
            row.failures = F("failures") + 1
        row.last_failure_at = now
        row.save(update_fields=["window_start", "failures", "last_failure_at"])


def counters_purge(*, older_than: timedelta, now: datetime) -> int:
    """Delete counters whose window started before now - older_than; returns how many."""
    deleted, _ = ThrottleCounter.objects.filter(window_start__lt=now - older_than).delete()
    return deleted
