"""A share's password: set or removed by staff, asked for on the landing page, throttled.

Wrong passwords are counted per share and client network together, in the database (a
cache flush or outage must not reopen the guessing), and checked before any hash is
computed, so a throttled attempt costs no CPU:
- one network past PASSWORD_FAILURES_PER_NETWORK within PASSWORD_FAILURE_WINDOW seconds
  gets 429 until the window ends;
- once the share as a whole has had PASSWORD_FAILURES_PER_SHARE failures in the window
  (many networks guessing), each network may try at most once per PASSWORD_SLOWDOWN
  seconds: guessing is slowed, never locked. The right password from a network that has
  not itself exceeded its limit always works, so nobody elsewhere can lock the real
  recipient out.
"""

from dataclasses import dataclass

from django.utils import timezone

from sharelinks import throttle
from sharelinks.conf import app_settings
from sharelinks.models import Share


@dataclass(frozen=True)
class PasswordVerdict:
    """ok: the password is right. retry_after > 0: throttled, not even checked."""

    ok: bool
    retry_after: int = 0


def _keys(share: Share, network: str | None) -> tuple[str, str]:
    return f"password:{share.pk}:{network or 'unknown'}", f"password:{share.pk}"


def share_password_set(*, share: Share, password: str) -> None:
    """Set, replace ("" removes) the share's password; only its hash is kept."""
    share.set_password(password)
    share.save(update_fields=["password"])


def share_password_check(*, share: Share, network: str | None, password: str) -> PasswordVerdict:
    """Check a password typed on the landing page, unless this network is throttled."""
    now = timezone.now()
    window = app_settings.PASSWORD_FAILURE_WINDOW
    mine, everyone = _keys(share, network)
    own = throttle.failures_get(mine, window=window, now=now)
    if own.count >= app_settings.PASSWORD_FAILURES_PER_NETWORK:
        return PasswordVerdict(ok=False, retry_after=own.retry_after(now))
    shared = throttle.failures_get(everyone, window=window, now=now)
    if shared.count >= app_settings.PASSWORD_FAILURES_PER_SHARE and own.last_at is not None:
        wait = app_settings.PASSWORD_SLOWDOWN - (now - own.last_at).total_seconds()
        if wait > 0:
            return PasswordVerdict(ok=False, retry_after=max(1, int(wait + 0.999)))
    if share.check_password(password):
        return PasswordVerdict(ok=True)
    throttle.failure_record(mine, window=window, now=now)
    throttle.failure_record(everyone, window=window, now=now)
    return PasswordVerdict(ok=False)
