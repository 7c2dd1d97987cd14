"""Slows down code guessing: too many unknown codes from one network get 429 for a while.

128-bit codes cannot be guessed anyway; the limit keeps scanners from filling logs with
noise, and answers them cheaply. Codes that name a share always go through (see
views._unknown), so a blocked network never loses a real link. Counting is per truncated
network (the same /24 or /48 the click log keeps), in the cache, so it spans all web
processes when the cache is Redis.
"""

from django.core.cache import cache

from sharelinks.conf import app_settings


def _key(network: str | None) -> str:
    return f"sharelinks:guesses:{network or 'unknown'}"


def guesses_exceeded(network: str | None) -> bool:
    """True when this network has spent its unknown-code allowance for the window."""
    return cache.get(_key(network), 0) >= app_settings.GUESS_LIMIT


def guess_record(network: str | None) -> None:
    """Count one unknown or malformed code from this network."""
    count_in_window(_key(network), app_settings.GUESS_WINDOW)


def count_in_window(key: str, window: int) -> None:
    """Add one to a cache counter that starts at the first event and lasts `window` seconds."""
    if cache.add(key, 1, timeout=window):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
