"""What the process knows about S3 and its credentials without asking: for /healthz.

A health check that called S3 would turn every probe of every host into S3 traffic, and an
S3 outage into every host failing its probe at once. Instead the traffic the app has
anyway is watched: each S3 answer (or its absence) as botocore receives it, and each time
the credentials were used to sign (or failed to be).
"""

import threading
import time
from dataclasses import dataclass


@dataclass
class _Outcome:
    ok_at: float | None = None  # monotonic seconds
    failed_at: float | None = None
    failure: str = ""

    def succeeded(self) -> None:
        self.ok_at = time.monotonic()

    def failed(self, failure: str) -> None:
        self.failed_at, self.failure = time.monotonic(), failure

    def failing(self) -> bool:
        """True when the last outcome was a failure."""
        return self.failed_at is not None and (self.ok_at is None or self.failed_at > self.ok_at)


_storage = _Outcome()
_credentials = _Outcome()
_lock = threading.Lock()


def _received(response_dict=None, exception=None, **kwargs) -> None:
    # botocore emits this for every attempt: response_dict is None when no answer came
    # (a timeout, a refused or reset connection). Any answer, a 404 or a 503 included,
    # proves S3 reachable.
    with _lock:
        if response_dict is None:
            _storage.failed(f"{type(exception).__name__}: {exception}" if exception else "")
        else:
            _storage.succeeded()


def register(client) -> None:
    """Watch every answer the client gets from S3 (or does not get)."""
    client.meta.events.register(
        "response-received.s3", _received, unique_id="sharelinks.aws.watch.received"
    )


def storage_state() -> tuple[str, str]:
    """("ok" | "unreachable" | "unknown", detail): the last S3 request's fate in this process."""
    with _lock:
        if _storage.failing():
            ago = time.monotonic() - _storage.failed_at
            return "unreachable", f"no answer {ago:.0f} s ago: {_storage.failure}"
        if _storage.ok_at is None:
            return "unknown", "no S3 request yet"
        return "ok", ""


def credentials_worked() -> None:
    """Signing with the credentials succeeded."""
    with _lock:
        _credentials.succeeded()


def credentials_failed(failure: str) -> None:
    """No credentials could be had (none found, a refresh failed, too close to expiry)."""
    with _lock:
        _credentials.failed(failure)


def credentials_problem() -> tuple[str, float] | None:
    """(what failed, seconds ago) when the credentials failed the last time they were used."""
    with _lock:
        if not _credentials.failing():
            return None
        return _credentials.failure, time.monotonic() - _credentials.failed_at


def forget() -> None:
    """Start over (tests, a rebuilt client with other settings)."""
    global _storage, _credentials
    with _lock:
        _storage, _credentials = _Outcome(), _Outcome()
