"""What GET /healthz says: each part the app depends on, and whether this process takes traffic.

The choice (docs/timeouts.md): a load balancer should take out of rotation a process that
cannot answer clicks because of something of its own -- its database connection, its
credentials -- but not every host at once because a part they all share is down. So:

- database unavailable, or credentials unusable: 503, the balancer drops this process;
- cache, storage (S3) or the storage clock in trouble: 200 with the part "degraded". A
  cache outage costs nothing a recipient sees (sharelinks.softcache), and an S3 outage
  would fail every host's probe alike: the clicks answer their own 503 page meanwhile.

Nothing here calls S3 or STS: storage and credentials are read from what the process saw
the last time it used them (sharelinks.aws.health). The database probe runs under a
deadline of its own, so the answer comes within about two seconds either way.
"""

import logging

from django.core.cache import cache
from django.db import DatabaseError, connection

from sharelinks import softcache
from sharelinks.aws import clock
from sharelinks.aws import health as aws_health
from sharelinks.deadline import DeadlineExceeded, deadline

logger = logging.getLogger(__name__)

DATABASE_DEADLINE = 1.5  # seconds for the database probe, connecting included
# Beyond this the server's own clock is wrong (NTP down or stepped): presigned URLs are
# still dated by the storage's clock (sharelinks.aws.clock), but whatever else reads the
# local time (logs, expiry dates shown, TLS) is off by as much.
CLOCK_SKEW_LIMIT = 60.0
OK, DEGRADED, UNAVAILABLE, UNKNOWN = "ok", "degraded", "unavailable", "unknown"
_PROBE_KEY = "sharelinks:health:probe"


def _database() -> str:
    try:
        with deadline(DATABASE_DEADLINE), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except (DatabaseError, DeadlineExceeded) as err:
        logger.warning("health check: database unavailable: %s", err)
        return UNAVAILABLE
    return OK


def _cache() -> str:
    def probe() -> bool:
        cache.get(_PROBE_KEY)
        return True

    return OK if softcache.attempt(probe, False, what="the health check") else DEGRADED


def _credentials() -> str:
    usable, why = aws_health.credentials_health()
    if not usable:
        logger.warning("health check: credentials unusable: %s", why)
    return OK if usable else UNAVAILABLE


def _storage() -> str:
    state, detail = aws_health.storage_health()
    if state == "unreachable":
        logger.warning("health check: storage unreachable: %s", detail)
        return DEGRADED
    return OK if state == "ok" else UNKNOWN


def health_check() -> tuple[int, dict]:
    """(HTTP status, body): 503 when this process should leave the rotation, else 200."""
    skew = clock.skew_seconds()
    parts = {
        "database": _database(),
        "credentials": _credentials(),
        "cache": _cache(),
        "storage": _storage(),
        "clock": DEGRADED if abs(skew) > CLOCK_SKEW_LIMIT else OK,
    }
    if UNAVAILABLE in parts.values():
        overall = UNAVAILABLE
    elif DEGRADED in parts.values():
        overall = DEGRADED
    else:
        overall = OK
    body = {"status": overall, **parts, "clock_skew_seconds": round(skew, 1)}
    return (503 if overall == UNAVAILABLE else 200), body
