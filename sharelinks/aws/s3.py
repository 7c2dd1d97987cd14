"""S3 itself: presigned GET URLs capped by the credentials' life, HEADs, uploads, deletes,
buckets."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, TypeVar

from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import ClientError, NoCredentialsError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from storages.backends.s3 import S3Storage

from sharelinks.aws import clock, watch
from sharelinks.aws.client import (
    StorageError,
    StorageUnavailable,
    _last_signer,
    _reaching,
    get_client,
    session_credentials,
)
from sharelinks.aws.sigv4 import BucketEndpoints, Endpoint, encoded, presign_get
from sharelinks.conf import app_settings
from sharelinks.disposition import content_disposition

_endpoints: BucketEndpoints | None = None  # the shared client's, made on first presign
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


def _signed_with(url: str, frozen: ReadOnlyCredentials) -> bool:
    # Substring tests, not a parsed query: both signers percent-encode the key and every
    # value ("&" and "=" included), so "&X-Amz-Credential=" and "&X-Amz-Security-Token="
    # can only be the parameters themselves, and parsing the query costs a fifth of the
    # built-in presign. The token is compared in its encoded form, which botocore and the
    # built-in signer share: decoding a kilobyte token would cost more than signing.
    query = f"&{url.partition('?')[2]}&"
    if f"&X-Amz-Credential={encoded(frozen.access_key)}%2F" not in query:
        return False
    if frozen.token is None:
        return "&X-Amz-Security-Token=" not in query
    return f"&X-Amz-Security-Token={encoded(frozen.token)}&" in query


def _bucket_endpoint(client, bucket: str) -> Endpoint | None:
    # One cache per client: a new client (settings changed, credentials swapped) may resolve
    # its buckets differently.
    global _endpoints
    endpoints = _endpoints
    if endpoints is None or endpoints.client is not client:
        endpoints = _endpoints = BucketEndpoints(client)
    return endpoints.get(bucket)


def _sign(client, params: dict, lifetime: int) -> str:
    """The URL, by the built-in signer unless SHARELINKS_PRESIGNER says "botocore".

    Either way the credentials are botocore's refreshing object, read as botocore reads
    them when it signs, so refreshing stays its job. Buckets botocore signs otherwise than
    with plain SigV4 (S3 Express, multi-region access points) are left to it.
    """
    try:  # an unknown value is also sharelinks.E009 at manage.py check
        presigner = app_settings.PRESIGNER
    except ImproperlyConfigured as err:
        raise StorageUnavailable(str(err)) from err
    # Presigning is offline: any failure here is the credentials'.
    with _reaching("signing", operation="GetObject"):
        endpoint = _bucket_endpoint(client, params["Bucket"]) if presigner == "builtin" else None
        if endpoint is None:
            return client.generate_presigned_url("get_object", Params=params, ExpiresIn=lifetime)
        credentials = session_credentials()
        if credentials is None:
            raise NoCredentialsError()
        return presign_get(
            credentials.get_frozen_credentials(),
            endpoint,
            params["Key"],
            expires_in=lifetime,
            signed_at=clock.now(),  # S3 judges the URL's date by its own clock
            disposition=params.get("ResponseContentDisposition"),
            content_type=params.get("ResponseContentType"),
        )


def presign_checked(
    sign: Callable[[int], T],
    signed_with: Callable[[T, ReadOnlyCredentials], bool],
    *,
    expires_in: int,
    what: str,
) -> T:
    """sign(lifetime), the lifetime cut to the signing credentials' remaining life.

    The one place a presigned request gets its lifetime: a click's GET, an upload's part,
    a browser's POST form. The client signs first -- botocore refreshes due credentials as
    it does so -- and the set it signed with is read afterwards without another refresh:
    reading before signing would refresh twice for credentials that live less than
    botocore's 15-minute advisory window (a 900 s AssumeRole), and each refresh is an STS
    call. signed_with says whether what was signed carries that set's key and token.
    """
    lifetime = expires_in
    for _ in range(3):
        signed = sign(lifetime)
        signer, expiry = _last_signer()
        if not signed_with(signed, signer):
            continue  # another thread refreshed between signing and reading: sign again
        usable = _url_lifetime(expires_in, expiry)  # raises when too little life is left
        if lifetime <= usable:
            return signed
        lifetime = usable
    raise StorageUnavailable(f"could not sign {what} with checked credentials")


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
    client = get_client()
    try:
        url = presign_checked(
            lambda lifetime: _sign(client, params, lifetime),
            _signed_with,
            expires_in=expires_in,
            what=f"s3://{bucket}/{key}",
        )
    except StorageUnavailable as err:
        watch.credentials_failed(str(err))  # /healthz: this process cannot sign
        raise
    watch.credentials_worked()
    return url


def presigned_url(*, method: str, params: dict, expires_in: int, operation: str) -> str:
    """botocore's SigV4 URL for another S3 call (upload_part...), within the credentials' life."""
    client = get_client()

    def sign(lifetime: int) -> str:
        # Presigning is offline: any failure here is the credentials'.
        with _reaching("signing", operation=operation):
            return client.generate_presigned_url(method, Params=params, ExpiresIn=lifetime)

    what = f"s3://{params['Bucket']}/{params['Key']}"
    return presign_checked(sign, _signed_with, expires_in=expires_in, what=what)


def object_head(*, bucket: str, key: str, background: bool = False) -> ObjectInfo | None:
    """Size and type of the object, or None when it does not exist.

    A web request waits SHARELINKS_S3_* at most; background=True (jobs, the doctor) waits
    longer (sharelinks.aws.config).
    """
    try:
        with _reaching(f"HEAD s3://{bucket}/{key}", operation="HeadObject"):
            response = get_client(background=background).head_object(Bucket=bucket, Key=key)
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


def object_delete(*, bucket: str, key: str) -> None:
    """Delete the object; one that is already gone is no error (S3 answers 204 either way)."""
    try:
        with _reaching(f"DELETE s3://{bucket}/{key}", operation="DeleteObject"):
            get_client().delete_object(Bucket=bucket, Key=key)
    except ClientError as err:
        status = err.response["ResponseMetadata"]["HTTPStatusCode"]
        if status == 404:
            return
        raise StorageError(f"delete of s3://{bucket}/{key} refused: S3 answered {status}") from err


def bucket_status(bucket: str) -> tuple[int, str | None]:
    """The HTTP status a HEAD of the bucket gets (200, 404, 403) and the region S3 names.

    Amazon S3 names the bucket's region in every answer (x-amz-bucket-region), even a 403:
    URLs signed for another region are refused, so the doctor compares it with the client's.
    Raises StorageUnavailable when S3 cannot be reached or there are no credentials.
    """
    try:
        with _reaching(f"HEAD bucket {bucket!r}", operation="HeadBucket"):
            response = get_client(background=True).head_bucket(Bucket=bucket)
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
