"""S3's side of browser uploads: multipart calls, part and POST-form signing, bucket CORS.

The browser sends the bytes straight to S3; the server only starts, lists, completes and
aborts the multipart upload, and presigns each part (or, without JavaScript, a POST form)
with the same credential-capped presigning as a click's GET.
"""

from dataclasses import dataclass
from datetime import datetime

from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import ClientError
from django.conf import settings

from sharelinks.aws.client import StorageError, _reaching, get_client
from sharelinks.aws.s3 import presign_checked, presigned_url


@dataclass(frozen=True)
class PendingUpload:
    """A multipart upload S3 still holds, as ListMultipartUploads names it."""

    key: str
    upload_id: str
    initiated: datetime


class UploadGone(StorageError):
    """S3 no longer knows the multipart upload: completed, aborted, or never there."""


def _status(err: ClientError) -> int:
    return err.response["ResponseMetadata"]["HTTPStatusCode"]


def _refused(what: str, err: ClientError) -> StorageError:
    code = err.response.get("Error", {}).get("Code", "")
    if code == "NoSuchUpload" or _status(err) == 404:
        return UploadGone(f"{what}: S3 knows no such upload ({code or 404})")
    return StorageError(f"{what} refused: S3 answered {_status(err)} {code}".rstrip())


def multipart_create(*, bucket: str, key: str, content_type: str) -> str:
    """Start a multipart upload of key; returns S3's upload id."""
    what = f"start an upload to s3://{bucket}/{key}"
    extra = {"ContentType": content_type} if content_type else {}
    try:
        with _reaching(what, operation="CreateMultipartUpload"):
            response = get_client(background=True).create_multipart_upload(
                Bucket=bucket, Key=key, **extra
            )
    except ClientError as err:
        raise _refused(what, err) from err
    return response["UploadId"]


def part_url(*, bucket: str, key: str, upload_id: str, part_number: int, expires_in: int) -> str:
    """A presigned PUT for one part, valid expires_in seconds at most (credential-capped)."""
    params = {"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": part_number}
    return presigned_url(
        method="upload_part", params=params, expires_in=expires_in, operation="UploadPart"
    )


def parts_list(*, bucket: str, key: str, upload_id: str) -> list[dict]:
    """The parts S3 holds so far, [{"PartNumber", "ETag", "Size"}], in order.

    ListParts answers 1,000 parts a page and an upload may have 10,000: every page is read.
    """
    what = f"list the parts of s3://{bucket}/{key}"
    parts = []
    try:
        with _reaching(what, operation="ListParts"):
            pages = get_client(background=True).get_paginator("list_parts")
            for page in pages.paginate(Bucket=bucket, Key=key, UploadId=upload_id):
                parts += page.get("Parts", [])
    except ClientError as err:
        raise _refused(what, err) from err
    return [{name: part[name] for name in ("PartNumber", "ETag", "Size")} for part in parts]


def multipart_complete(*, bucket: str, key: str, upload_id: str, parts: list[dict]) -> None:
    """Join the parts [{"PartNumber", "ETag"}] into the object; S3 checks every ETag."""
    what = f"complete the upload to s3://{bucket}/{key}"
    try:
        with _reaching(what, operation="CompleteMultipartUpload"):
            get_client(background=True).complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
    except ClientError as err:
        raise _refused(what, err) from err


def multipart_abort(*, bucket: str, key: str, upload_id: str) -> bool:
    """Drop the upload and its stored parts; False when S3 no longer knew it."""
    what = f"abort the upload to s3://{bucket}/{key}"
    try:
        with _reaching(what, operation="AbortMultipartUpload"):
            get_client(background=True).abort_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id
            )
    except ClientError as err:
        error = _refused(what, err)
        if isinstance(error, UploadGone):
            return False
        raise error from err
    return True


def multipart_pending(*, bucket: str, prefix: str) -> list[PendingUpload]:
    """Every multipart upload under prefix that was started and neither completed nor aborted."""
    what = f"list the unfinished uploads in s3://{bucket}/{prefix}"
    found = []
    try:
        with _reaching(what, operation="ListMultipartUploads"):
            pages = get_client(background=True).get_paginator("list_multipart_uploads")
            for page in pages.paginate(Bucket=bucket, Prefix=prefix):
                found += [
                    PendingUpload(item["Key"], item["UploadId"], item["Initiated"])
                    for item in page.get("Uploads", [])
                ]
    except ClientError as err:
        raise _refused(what, err) from err
    return found


def _fields_signed_with(post: dict, frozen: ReadOnlyCredentials) -> bool:
    fields = post["fields"]
    access_key = fields["x-amz-credential"].split("/", 1)[0]
    return (access_key, fields.get("x-amz-security-token")) == (frozen.access_key, frozen.token)


def presigned_post(
    *, bucket: str, key: str, prefix: str, max_size: int, redirect: str, expires_in: int
) -> dict:
    """An HTML form's target and hidden fields that let a browser POST one file to S3.

    key may end in S3's ${filename} (the chosen file's name); the policy confines it to
    prefix, limits the size to 1..max_size bytes, and fixes where S3 sends the browser
    afterwards (redirect, with bucket, key and etag appended). Returns {"url", "fields"}.
    """
    client = get_client()
    fields = {"success_action_redirect": redirect}
    conditions = [
        ["starts-with", "$key", prefix],
        ["content-length-range", 1, max_size],
        {"success_action_redirect": redirect},
    ]

    def sign(lifetime: int) -> dict:
        with _reaching("signing", operation="PostObject"):
            return client.generate_presigned_post(
                bucket, key, Fields=dict(fields), Conditions=conditions, ExpiresIn=lifetime
            )

    what = f"an upload form for s3://{bucket}/{prefix}"
    return presign_checked(sign, _fields_signed_with, expires_in=expires_in, what=what)


def bucket_cors(bucket: str | None = None) -> list[dict] | None:
    """The bucket's CORS rules as S3 returns them, or None when it has no CORS configuration."""
    bucket = bucket or settings.AWS_STORAGE_BUCKET_NAME
    what = f"read the CORS configuration of {bucket}"
    try:
        with _reaching(what, operation="GetBucketCors"):
            return get_client(background=True).get_bucket_cors(Bucket=bucket)["CORSRules"]
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "NoSuchCORSConfiguration":
            return None
        raise StorageError(f"{what}: S3 answered {_status(err)}") from err


def bucket_cors_set(rules: list[dict], bucket: str | None = None) -> None:
    """Replace the bucket's CORS configuration with rules (local servers and tests)."""
    bucket = bucket or settings.AWS_STORAGE_BUCKET_NAME
    get_client(background=True).put_bucket_cors(
        Bucket=bucket, CORSConfiguration={"CORSRules": rules}
    )
