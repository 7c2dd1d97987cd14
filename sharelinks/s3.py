"""The one seam to AWS: the only module that imports boto3, botocore or django-storages' S3.

Everything else asks it for "a URL for this object, valid this long", "what is this object"
or "store this upload". One boto3 client serves the whole process: clients are thread-safe,
and making one costs milliseconds that a click must not pay.
"""

import threading
from dataclasses import dataclass
from typing import IO

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from django.conf import settings
from django.core.files import File
from django.core.signals import setting_changed
from django.dispatch import receiver
from storages.backends.s3 import S3Storage

from sharelinks.disposition import content_disposition

_lock = threading.Lock()
_client = None
_session = None


class StorageError(Exception):
    """S3 refused or failed a request; the message names the bucket and key."""


class StorageUnavailable(StorageError):
    """S3 could not be reached or no credentials could be had: try again later."""


@dataclass(frozen=True)
class ObjectInfo:
    """What a HEAD tells about an object."""

    size: int
    content_type: str


def _client_config() -> Config:
    # s3v4 always: botocore still presigns SigV2 in some regions when left to itself, and
    # SigV2 URLs are refused by every region opened since 2014.
    s3_options = {}
    if settings.AWS_S3_ADDRESSING_STYLE:
        s3_options["addressing_style"] = settings.AWS_S3_ADDRESSING_STYLE
    return Config(
        signature_version="s3v4",
        s3=s3_options,
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=50,
    )


def get_session() -> boto3.session.Session:
    """The process's boto3 session; its credential chain refreshes role credentials."""
    get_client()
    return _session


def get_client():
    """The process's S3 client, made on first use."""
    global _client, _session
    if _client is None:
        with _lock:
            if _client is None:
                # No keys passed: boto3's default chain finds role, SSO, profile or
                # environment credentials, and refreshes the temporary ones by itself.
                session = boto3.session.Session(region_name=settings.AWS_S3_REGION_NAME)
                _client = session.client(
                    "s3", endpoint_url=settings.AWS_S3_ENDPOINT_URL, config=_client_config()
                )
                _session = session
    return _client


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs) -> None:
    """Forget the client when an AWS setting changes (tests, override_settings)."""
    global _client, _session
    if setting.startswith("AWS_"):
        with _lock:
            _client = _session = None


def presigned_get_url(
    *, bucket: str, key: str, filename: str, content_type: str, expires_in: int
) -> str:
    """A SigV4 GET URL for the object, valid expires_in seconds, saved under filename."""
    params = {
        "Bucket": bucket,
        "Key": key,
        "ResponseContentDisposition": content_disposition(filename),
    }
    if content_type:
        params["ResponseContentType"] = content_type
    try:
        return get_client().generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_in
        )
    except (NoCredentialsError, PartialCredentialsError) as err:
        raise StorageUnavailable(f"no AWS credentials to sign with: {err}") from err
    except BotoCoreError as err:
        # A refresh of role credentials that failed (metadata service down, STS throttled).
        raise StorageUnavailable(f"could not sign for s3://{bucket}/{key}: {err}") from err


def object_head(*, bucket: str, key: str) -> ObjectInfo | None:
    """Size and type of the object, or None when it does not exist."""
    try:
        response = get_client().head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        status = err.response["ResponseMetadata"]["HTTPStatusCode"]
        if status == 404:
            return None
        if status == 403:
            raise StorageError(
                f"s3://{bucket}/{key}: access denied (the object may not exist and the "
                "credentials lack s3:ListBucket, or they lack s3:GetObject)"
            ) from err
        raise StorageError(f"s3://{bucket}/{key}: S3 answered {status}") from err
    except (NoCredentialsError, PartialCredentialsError) as err:
        raise StorageUnavailable(f"no AWS credentials to reach S3: {err}") from err
    except BotoCoreError as err:
        raise StorageUnavailable(f"S3 could not be reached for s3://{bucket}/{key}: {err}") from err
    return ObjectInfo(
        size=response["ContentLength"],
        content_type=response.get("ContentType") or "",
    )


def _upload_storage(bucket: str) -> S3Storage:
    # Uploads are rare admin actions, so django-storages' own per-thread client is fine;
    # only the click path needs the shared client above.
    return S3Storage(
        bucket_name=bucket,
        region_name=settings.AWS_S3_REGION_NAME,
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        addressing_style=settings.AWS_S3_ADDRESSING_STYLE,
        signature_version="s3v4",
        file_overwrite=False,
        default_acl=None,
    )


def object_upload(*, bucket: str, key: str, content: IO[bytes], content_type: str) -> str:
    """Store content under key (multipart when large) and return the key actually used."""
    upload = File(content, name=key)
    upload.content_type = content_type  # django-storages sends it as Content-Type
    try:
        return _upload_storage(bucket).save(key, upload)
    except ClientError as err:
        status = err.response["ResponseMetadata"]["HTTPStatusCode"]
        raise StorageError(f"upload to s3://{bucket}/{key} refused: S3 answered {status}") from err
    except (NoCredentialsError, PartialCredentialsError) as err:
        raise StorageUnavailable(f"no AWS credentials to upload with: {err}") from err
    except BotoCoreError as err:
        raise StorageUnavailable(f"upload to s3://{bucket}/{key} failed: {err}") from err


def bucket_create(bucket: str) -> None:
    """Create the bucket if it is missing (local emulators and tests only)."""
    client = get_client()
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as err:
        if err.response["ResponseMetadata"]["HTTPStatusCode"] != 404:
            raise
        client.create_bucket(Bucket=bucket)
