"""The one seam to AWS: the process's boto3 client, its credentials, and the errors callers see.

Only the aws package imports boto3, botocore or django-storages' S3. One session serves the
whole process, with two clients: the web one, whose short timeouts keep a click within
seconds of its answer, and a patient one for background work (sharelinks.aws.config).
Clients are thread-safe, and making one costs milliseconds a click must not pay.
"""

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, ReadOnlyCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from sharelinks.aws import clock, watch
from sharelinks.aws.config import client_config

# A process whose credential chain found nothing asks it again after this many seconds,
# instead of keeping a client without credentials until it restarts; meanwhile nothing
# asks the chain (each try may wait on the metadata service).
CREDENTIALS_RETRY = 30.0

_lock = threading.Lock()
_clients: dict[bool, object] = {}  # background? -> client
_session = None
_credentials_retry_at = 0.0  # monotonic; 0: credentials were found (or not looked for)
_generation = 0  # bumped by client_reset(): a client built meanwhile is not kept
_given_credentials = None  # set by use_credentials(): tests and diagnostics only


class StorageError(Exception):
    """S3 refused or failed a request; the message names the bucket and key."""


class StorageUnavailable(StorageError):
    """S3 could not be reached or no credentials could be had: try again later."""


@dataclass(frozen=True)
class CredentialStatus:
    """Where the signing credentials come from and how long they last."""

    method: str  # botocore's name for the source: "env", "iam-role", "assume-role", "sso", ...
    access_key: str
    temporary: bool  # a session token: every URL signed with it dies with it
    expiry: datetime | None  # None: long-lived, or temporary with no stated end (Lambda)

    def remaining(self, now: datetime | None = None) -> float | None:
        """Seconds of life left, or None when no expiry is known."""
        if self.expiry is None:
            return None
        return (self.expiry - (now or datetime.now(UTC))).total_seconds()


def get_session() -> boto3.session.Session:
    """The process's boto3 session; its credential chain refreshes role credentials."""
    get_client()
    return _session


def _session_make() -> boto3.session.Session:
    # No keys passed: boto3's default chain finds role, SSO, profile or environment
    # credentials, and refreshes the temporary ones by itself.
    core = botocore.session.get_session()
    if _given_credentials is not None:
        resolver = CredentialResolver([_GivenCredentials(_given_credentials)])
        core.register_component("credential_provider", resolver)
    return boto3.session.Session(botocore_session=core, region_name=settings.AWS_S3_REGION_NAME)


def get_client(*, background: bool = False):
    """The process's S3 client for web requests, or (background=True) for background work.

    Both are made on first use. A client made while the credential chain found nothing is
    dropped after CREDENTIALS_RETRY seconds, so the next use asks the chain again.
    """
    global _session, _credentials_retry_at
    if _credentials_retry_at and time.monotonic() >= _credentials_retry_at:
        client_reset()
    client = _clients.get(background)
    if client is None:
        with _lock:
            client = _clients.get(background)
            if client is None:
                generation = _generation
                session = _session or _session_make()
                client = session.client(
                    "s3",
                    endpoint_url=settings.AWS_S3_ENDPOINT_URL,
                    config=client_config(background=background),
                )
                # Every answer S3 gives this client tells the storage's time: presigned
                # URLs are dated by it (sharelinks.aws.clock). /healthz reads the rest.
                clock.register(client)
                watch.register(client)
                if generation != _generation:
                    return client  # reset while this one was built: use it once, keep none
                if _session is None and client._request_signer._credentials is None:
                    _credentials_retry_at = time.monotonic() + CREDENTIALS_RETRY
                    watch.credentials_failed("no AWS credentials found")
                _clients[background], _session = client, session
    return client


def session_credentials():
    """The session's credentials object, or None while the chain has found none.

    botocore's session asks the whole chain again on every call while it has found
    nothing; until CREDENTIALS_RETRY has passed this answers None without asking.
    """
    get_client()
    if _credentials_retry_at:
        return None
    return _session.get_credentials()


class _GivenCredentials(CredentialProvider):
    """A credential chain of one: the credentials object given to use_credentials()."""

    METHOD = "given"

    def __init__(self, credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self):
        return self._credentials


def use_credentials(credentials) -> None:
    """Sign with this botocore credentials object instead of the default chain; None undoes.

    Meant for tests and diagnostics, which need real RefreshableCredentials with a refresh
    they control; the process's one client is rebuilt around them.
    """
    global _given_credentials
    _given_credentials = credentials
    client_reset()


def client_reset() -> None:
    """Forget the clients and session; the next use builds them from the current settings."""
    global _session, _credentials_retry_at, _generation
    with _lock:
        _clients.clear()
        _session, _credentials_retry_at = None, 0.0
        _generation += 1


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs) -> None:
    """Forget the clients when an AWS or S3 setting changes (tests, override_settings)."""
    if setting.startswith(("AWS_", "SHARELINKS_S3_")):
        client_reset()


class _reaching:  # named as the function it replaced: `with _reaching("what"):`
    """Turn missing credentials, network failures and failed credential refreshes into
    StorageUnavailable; S3's own answer to `operation` stays a ClientError for the caller.

    botocore refreshes role credentials inside the request that needs them, and a refresh
    fails however its source fails: STS refusing or throttling (a ClientError of another
    operation), a metadata service timing out, a refresh that returned nothing usable.
    A class rather than a generator made into a context manager, which takes two and a
    half times as long to enter and leave: every click's presign passes through one.
    """

    __slots__ = ("operation", "what")

    def __init__(self, what: str, operation: str | None = None) -> None:
        self.what, self.operation = what, operation

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, err, traceback) -> None:
        if err is None or isinstance(err, StorageUnavailable) or not isinstance(err, Exception):
            return  # nothing raised, already ours, or an interruption: as it is
        what = self.what
        if isinstance(err, ClientError) and self.operation in (None, err.operation_name):
            return  # S3's own answer
        if isinstance(err, NoCredentialsError | PartialCredentialsError):
            message = f"no AWS credentials for {what}: {err}"
        elif isinstance(err, BotoCoreError):
            message = f"{what} failed: {err}"
        else:  # a refresh's ClientError (STS's), or whatever else its source raised
            message = f"{what}: the AWS credentials could not be refreshed: {err}"
        raise StorageUnavailable(message) from err


def _frozen_with_expiry(
    credentials, *, refresh: bool = True
) -> tuple[ReadOnlyCredentials, datetime | None]:
    """The credentials to sign with now (refreshed by botocore when due) and their expiry.

    botocore exposes no public expiry, so this is the one place that reads its private
    RefreshableCredentials._expiry_time (and _frozen_credentials). A refresh publishes the
    new frozen set before the new expiry: if the frozen set is still current after the
    expiry was read, the expiry is that set's own or an earlier one -- never a later one.
    refresh=False reads the set botocore last handed out, without refreshing it.
    """
    for _ in range(3):
        if refresh:
            frozen = credentials.get_frozen_credentials()
        else:
            frozen = getattr(credentials, "_frozen_credentials", None)
        expiry = getattr(credentials, "_expiry_time", None)
        if getattr(credentials, "_frozen_credentials", frozen) is frozen:
            return frozen, expiry
    raise StorageUnavailable("the credentials were refreshed three times while being read")


def _signing_snapshot() -> tuple[ReadOnlyCredentials, datetime | None]:
    with _reaching("signing"):
        credentials = session_credentials()
        if credentials is None:
            raise StorageUnavailable("no AWS credentials to sign with")
        return _frozen_with_expiry(credentials)


def _last_signer() -> tuple[ReadOnlyCredentials, datetime | None]:
    """The set the client last signed with and its expiry, read without a refresh."""
    credentials = session_credentials()
    if not hasattr(credentials, "_frozen_credentials"):  # static keys: nothing to refresh
        return credentials.get_frozen_credentials(), None
    return _frozen_with_expiry(credentials, refresh=False)


def credential_status() -> CredentialStatus | None:
    """The signing credentials' source and expiry, or None when none can be found."""
    with _reaching("the AWS credential chain"):
        credentials = session_credentials()
    if credentials is None:
        return None
    frozen, expiry = _signing_snapshot()
    return CredentialStatus(
        method=credentials.method,
        access_key=frozen.access_key,
        temporary=bool(frozen.token),
        expiry=expiry,
    )


def client_description() -> dict[str, str]:
    """Endpoint, region, signature version and addressing style the client really uses."""
    meta = get_client().meta
    return {
        "endpoint": meta.endpoint_url,
        "region": meta.region_name,
        "signature version": meta.config.signature_version,
        "addressing style": (meta.config.s3 or {}).get("addressing_style") or "auto",
    }
