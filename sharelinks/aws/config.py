"""How long the process's S3 clients wait: seconds for a web request, minutes for background work.

A web request has a person waiting on it. botocore's own defaults (60 s reads, retries
with backoff) would hold a click for minutes when S3 accepts connections and then says
nothing; the web client waits SHARELINKS_S3_* instead, so such a click answers the 503
page within seconds. Background jobs and the doctor have nobody waiting on a page, and a
slow answer from S3 is still an answer there: they keep patient, fixed bounds.
"""

from botocore.config import Config
from django.conf import settings

from sharelinks.conf import app_settings

# The broken-share check, the doctor and the maintenance commands: a loaded S3 may take
# seconds per HEAD, and giving up early would only flag healthy shares as unchecked.
BACKGROUND_CONNECT_TIMEOUT = 5
BACKGROUND_READ_TIMEOUT = 30
BACKGROUND_ATTEMPTS = 4


def backoff_bound(attempts: int) -> float:
    """The longest botocore's standard mode sleeps in total between `attempts` tries.

    Before attempt n+1 it sleeps a random fraction of 2**(n-1) base units, capped at 20 s:
    the unit is 50 ms after a timeout or a 5xx and 1 s after throttling, so this bound
    (throttling's) holds for both.
    """
    return float(sum(min(20, 2 ** (n - 1)) for n in range(1, attempts)))


def web_worst_case() -> float:
    """Seconds a web request can wait on one S3 request before it gives up (docs/timeouts.md).

    Each attempt waits at most its connect timeout and then its read timeout: a server that
    accepts and never answers costs the read timeout, a black hole the connect timeout.
    """
    attempts = app_settings.S3_ATTEMPTS
    per_attempt = app_settings.S3_CONNECT_TIMEOUT + app_settings.S3_READ_TIMEOUT
    return attempts * per_attempt + backoff_bound(attempts)


def client_config(*, background: bool = False) -> Config:
    """The botocore Config of the web client, or of the background one."""
    # s3v4 always: botocore still presigns SigV2 in some regions when left to itself, and
    # SigV2 URLs are refused by every region opened since 2014.
    s3_options = {}
    if settings.AWS_S3_ADDRESSING_STYLE:
        s3_options["addressing_style"] = settings.AWS_S3_ADDRESSING_STYLE
    if background:
        connect, read = BACKGROUND_CONNECT_TIMEOUT, BACKGROUND_READ_TIMEOUT
        attempts = BACKGROUND_ATTEMPTS
    else:
        connect, read = app_settings.S3_CONNECT_TIMEOUT, app_settings.S3_READ_TIMEOUT
        attempts = app_settings.S3_ATTEMPTS
    return Config(
        signature_version="s3v4",
        s3=s3_options,
        # "standard" retries timeouts and connection errors as well as S3's 5xx and
        # throttling answers, each after a jittered backoff. total_max_attempts counts the
        # first attempt; botocore's max_attempts would count only the retries.
        retries={"total_max_attempts": attempts, "mode": "standard"},
        connect_timeout=connect,
        read_timeout=read,
        max_pool_connections=50,
    )
