"""S3 itself: presigned GET URLs capped by the credentials' life, HEADs, uploads, buckets."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, TypeVar
from urllib.parse import unquote, urlsplit

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files import File
from storages.backends.s3 import S3Storage

from sharelinks.aws.client import (
    StorageError,
    StorageUnavailable,
    _last_signer,
    _reaching,
    get_client,
)
from sharelinks.conf import app_settings
from sharelinks.disposition import content_disposition

T = TypeVar("T")


@dataclass(frozen=True)
class ObjectInfo:
    """What a HEAD tells about an object."""

    size: int
    content_type: str


def _url_lifetime(requested: int, expiry: datetime | None) -> int:
    """requested seconds, cut to the credentials' remaining life less the safety margin.

    botocore refreshes credentials with under 10 minutes left before handing them out (and
    raises if that fails), far more than margin + minimum, so a short remaining life here
    means the refresh brought no better credentials: the click waits (503) and is not counted.
    """
    if expiry is None:
        return requested  # long-lived, or the source states no expiry: the short TTL alone
    usable = int((expiry - datetime.now(UTC)).total_seconds()) - app_settings.CREDENTIALS_MARGIN
    if usable < app_settings.URL_TTL_MIN:
        raise StorageUnavailable(
            f"the AWS credentials expire at {expiry:%Y-%m-%d %H:%M:%S %Z}, too soon to sign with, "
            "and no fresher ones could be had"
        )
    return min(requested, usable)


def _query_signer(url: str) -> tuple[str, str | None]:
    """The access key and session token a presigned URL carries."""
    # A plain split: parse_qs would cost a twentieth of the whole presign.
    params = dict(part.partition("=")[::2] for part in urlsplit(url).query.split("&"))
    token = params.get("X-Amz-Security-Token")
    access_key = unquote(params.get("X-Amz-Credential", "")).split("/", 1)[0]
    return access_key, None if token is None else unquote(token)


def presign_checked(
    sign: Callable[[int], T],
    signer_of: Callable[[T], tuple[str, str | None]],
    *,
    expires_in: int,
    what: str,
) -> T:
    """sign(lifetime), with the lifetime cut to the signing credentials' remaining life.

    The one place a presigned request gets its lifetime: a click's GET, an upload's part,
    a browser's POST form. The client signs first -- botocore refreshes due credentials as
    it does so -- and the set it signed with is read afterwards without another refresh:
    reading before signing would refresh twice for credentials that live less than
    botocore's 15-minute advisory window (a 900 s AssumeRole), and each refresh is an STS
    call. signer_of says which access key and token ended up in what was signed.
    """
    lifetime = expires_in
    for _ in range(3):
        signed = sign(lifetime)
        frozen, expiry = _last_signer()
        if signer_of(signed) != (frozen.access_key, frozen.token):
            continue  # another thread refreshed between signing and reading: sign again
        usable = _url_lifetime(expires_in, expiry)  # raises when too little life is left
        if lifetime <= usable:
            return signed
        lifetime = usable
    raise StorageUnavailable(f"could not sign {what} with checked credentials")


def presigned_url(*, method: str, params: dict, expires_in: int, operation: str) -> str:
    """A SigV4 URL for one S3 call (get_object, upload_part...), within the credentials' life."""
    client = get_client()

    def sign(lifetime: int) -> str:
        # Presigning is offline: any failure here is the credentials'.
        with _reaching("signing", operation=operation):
            return client.generate_presigned_url(method, Params=params, ExpiresIn=lifetime)

    what = f"s3://{params['Bucket']}/{params['Key']}"
    return presign_checked(sign, _query_signer, expires_in=expires_in, what=what)


def presigned_get_url(
    *, bucket: str, key: str, filename: str, content_type: str, expires_in: int
) -> str:
    """A SigV4 GET URL for the object, saved under filename, valid expires_in seconds at most.

    The lifetime is capped at the signing credentials' remaining life (less
    SHARELINKS_CREDENTIALS_MARGIN): a URL never claims to outlive its own signature.
    """
    params = {
        "Bucket": bucket,
        "Key": key,
        "ResponseContentDisposition": content_disposition(filename),
    }
    if content_type:
        params["ResponseContentType"] = content_type
    return presigned_url(
        method="get_object", params=params, expires_in=expires_in, operation="GetObject"
    )


def object_head(*, bucket: str, key: str) -> ObjectInfo | None:
    """Size and type of the object, or None when it does not exist."""
    try:
        with _reaching(f"HEAD s3://{bucket}/{key}", operation="HeadObject"):
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
        with _reaching(f"upload to s3://{bucket}/{key}"):
            return _upload_storage(bucket).save(key, upload)
    except ClientError as err:
        status = err.response["ResponseMetadata"]["HTTPStatusCode"]
        raise StorageError(f"upload to s3://{bucket}/{key} refused: S3 answered {status}") from err


def bucket_status(bucket: str) -> tuple[int, str | None]:
    """The HTTP status a HEAD of the bucket gets (200, 404, 403) and the region S3 names.

    Amazon S3 names the bucket's region in every answer (x-amz-bucket-region), even a 403:
    URLs signed for another region are refused, so the doctor compares it with the client's.
    Raises StorageUnavailable when S3 cannot be reached or there are no credentials.
    """
    try:
        with _reaching(f"HEAD bucket {bucket!r}", operation="HeadBucket"):
            response = get_client().head_bucket(Bucket=bucket)
    except ClientError as err:
        response = err.response
    metadata = response["ResponseMetadata"]
    return metadata["HTTPStatusCode"], metadata.get("HTTPHeaders", {}).get("x-amz-bucket-region")


def bucket_create(bucket: str) -> None:
    """Create the bucket if it is missing (local emulators and tests only)."""
    client = get_client()
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as err:
        if err.response["ResponseMetadata"]["HTTPStatusCode"] != 404:
            raise
        client.create_bucket(Bucket=bucket)
