"""Staff sign-in throttle: wrong passwords counted per username and client network, in the
database, and decided before any password hash is computed.

The admin's password guards every share, so guessing it is throttled; but a lock on the
username alone would let anyone lock a real admin out from anywhere by typing wrong
passwords on purpose. So, as for share passwords (sharelinks.passwords):
- one network past LOGIN_FAILURE_LIMIT failures for a username within LOGIN_FAILURE_WINDOW
  seconds is refused for that username until the window ends (or an admin lifts it);
- once a username has had LOGIN_FAILURES_PER_USERNAME failures in the window from all
  networks together, each network that failed may try again only every LOGIN_SLOWDOWN
  seconds: guessing from many networks is slowed, never turned into a lock. A network
  that has not failed, the real admin's own, always gets its try.

The counters live in the database: a cache flush, eviction or outage must not reopen the
guessing. Keys hold a digest of the username, never the text typed: people type their
password into the username field now and then.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from sharelinks import throttle
from sharelinks.conf import app_settings
from sharelinks.models import ThrottleCounter


def _username_key(username: str) -> str:
    """One key per username whatever its case; a fixed-length digest, so no typed text
    (however long, whatever it holds) ends up in the table or can collide with a prefix."""
    digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    return f"login:{digest}"


def _keys(username: str, network: str | None) -> tuple[str, str]:
    everyone = _username_key(username)
    return f"{everyone}:{network or 'unknown'}", everyone


def login_allowed(*, username: str, network: str | None) -> bool:
    """Whether this network may try a password for this username now (two indexed reads)."""
    now = timezone.now()
    window = app_settings.LOGIN_FAILURE_WINDOW
    mine, everyone = _keys(username, network)
    own = throttle.failures_get(mine, window=window, now=now)
    if own.count >= app_settings.LOGIN_FAILURE_LIMIT:
        return False
    if own.last_at is None:
        return True
    shared = throttle.failures_get(everyone, window=window, now=now)
    if shared.count < app_settings.LOGIN_FAILURES_PER_USERNAME:
        return True
    return (now - own.last_at).total_seconds() >= app_settings.LOGIN_SLOWDOWN


def login_failed(*, username: str, network: str | None) -> None:
    """Count a wrong password (or an unknown username) from this network."""
    now = timezone.now()
    window = app_settings.LOGIN_FAILURE_WINDOW
    for key in _keys(username, network):
        throttle.failure_record(key, window=window, now=now)


def login_succeeded(*, username: str, network: str | None) -> None:
    """Forget this network's failures for the username; the count of all networks stays,
    so signing in does not reopen a guessing campaign from elsewhere."""
    mine, _everyone = _keys(username, network)
    ThrottleCounter.objects.filter(key=mine).delete()


def _all_keys(username: str) -> Q:
    everyone = _username_key(username)
    return Q(key=everyone) | Q(key__startswith=f"{everyone}:")


def login_unlock(*, username: str) -> int:
    """Lift every lock and slowdown on the username, from every network; returns how many
    counters were cleared."""
    deleted, _ = ThrottleCounter.objects.filter(_all_keys(username)).delete()
    return deleted


@dataclass(frozen=True)
class LoginThrottle:
    """What the throttle holds against one username right now."""

    failures: int  # from all networks, in the current window
    locked_networks: int  # networks refused until their window ends
    locked_until: datetime | None  # when the last of those locks ends
    slowed: bool  # every network that fails waits LOGIN_SLOWDOWN between tries

    @property
    def clear(self) -> bool:
        return self.failures == 0 and self.locked_networks == 0


def login_throttle(*, username: str) -> LoginThrottle:
    """The state of the username's counters, for the admin's user page."""
    now = timezone.now()
    window = timedelta(seconds=app_settings.LOGIN_FAILURE_WINDOW)
    everyone = _username_key(username)
    rows = ThrottleCounter.objects.filter(_all_keys(username), window_start__gt=now - window)
    failures, locked, until = 0, 0, None
    for key, count, start in rows.values_list("key", "failures", "window_start"):
        if key == everyone:
            failures = count
        elif count >= app_settings.LOGIN_FAILURE_LIMIT:
            locked += 1
            until = max(filter(None, [until, start + window]))
    slowed = failures >= app_settings.LOGIN_FAILURES_PER_USERNAME
    return LoginThrottle(failures, locked, until, slowed)
