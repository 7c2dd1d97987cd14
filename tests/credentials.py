"""Real botocore role credentials for tests, with a refresh the test controls.

`role_credentials(...)` installs botocore's own RefreshableCredentials on the app's one
session (sharelinks.aws.use_credentials), so the refresh timing, locking and frozen
snapshots under test are botocore's, not a stand-in's.
"""

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from botocore.credentials import RefreshableCredentials
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sharelinks import aws


def role_metadata(name: str, left: timedelta, *, now: datetime | None = None) -> dict:
    """What an STS/metadata answer says, for keys named after `name`, expiring after left."""
    expiry = (now or datetime.now(UTC)) + left
    return {
        "access_key": f"ASIA{name.upper()}",
        "secret_key": f"{name}-secret",
        "token": f"{name}-session-token",
        "expiry_time": expiry.isoformat(),
    }


def role_keys(name: str) -> dict:
    """The keyword arguments tests.presign.verify_presigned_url needs for `name`'s keys."""
    meta = role_metadata(name, timedelta(0))
    return {
        "access_key": meta["access_key"],
        "secret_key": meta["secret_key"],
        "token": meta["token"],
    }


def refresh_failing() -> dict:
    raise RuntimeError("sts:AssumeRole throttled")


def install_role_credentials(
    name: str,
    left: timedelta,
    refresh: Callable[[], dict] = refresh_failing,
    method: str = "assume-role",
) -> RefreshableCredentials:
    """Put role credentials named `name`, with `left` to live, on the app's session.

    Undo with sharelinks.aws.use_credentials(None) (the test modules' fixtures do).
    """
    credentials = RefreshableCredentials.create_from_metadata(
        role_metadata(name, left), refresh_using=refresh, method=method
    )
    aws.use_credentials(credentials)
    return credentials


@functools.cache
def cloudfront_key() -> rsa.RSAPrivateKey:
    """A CloudFront key pair's private half, made once per run (RSA 2048, as CloudFront wants)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def cloudfront_pem() -> str:
    """cloudfront_key() as unencrypted PEM text, the way the setting carries it."""
    return (
        cloudfront_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
