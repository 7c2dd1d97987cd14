"""A browser's multipart upload, step by step: check, start, sign each part, list, complete, abort.

The bytes go from the browser to S3. The server chooses the key, presigns each part just
before it is sent (so an upload may outlast any one URL and any role session), and joins
the parts at the end. Every step after the start takes the handle the start returned.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from sharelinks import aws, shares
from sharelinks.conf import app_settings
from sharelinks.uploads.errors import object_gone, storage_errors
from sharelinks.uploads.handles import Upload, handle_make, handle_read

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_PARTS = 10_000  # S3's limit per upload
MAX_SIZE = 5 * 1024**4  # S3's largest object, 5 TiB


@dataclass(frozen=True)
class Started:
    """A started upload: S3's id, and the handle the browser names it by from now on."""

    upload_id: str
    handle: str


def part_size(size: int) -> int:
    """Bytes per part for a file of size bytes: UPLOAD_PART_SIZE MiB, or more when needed.

    S3 takes at most 10,000 parts, so a file above 10,000 x UPLOAD_PART_SIZE gets parts of
    size / 10,000 rounded up to a whole MiB: 5 TiB goes in 9,987 parts of 525 MiB.
    """
    smallest = app_settings.UPLOAD_PART_SIZE * MIB
    needed = -(-size // MAX_PARTS)
    return max(smallest, -(-needed // MIB) * MIB)


def upload_terms_check(
    *, name: str, size: int, filename: str = "", expires_at: datetime | None = None
) -> None:
    """Refuse, before a byte is sent, what would make the share fail after the upload."""
    if not 0 < size <= MAX_SIZE:
        raise ValidationError(
            _("Only files of 1 byte to %(max)s can be uploaded; this one has %(size)s."),
            code="upload_size",
            params={"max": filesizeformat(MAX_SIZE), "size": filesizeformat(size)},
        )
    shares.filename_clean(filename or name)
    if expires_at is not None:
        shares.expiry_validate(expires_at)


def upload_start(*, owner: AbstractBaseUser, name: str, content_type: str = "") -> Started:
    """Start a multipart upload under a new key, prefix/<random>/<name>, for owner."""
    filename = shares.filename_clean(name)
    key = f"{app_settings.UPLOAD_PREFIX}{secrets.token_urlsafe(12)}/{filename}"
    bucket = shares.default_bucket()
    with storage_errors(f"start {key}"):
        upload_id = aws.multipart_create(bucket=bucket, key=key, content_type=content_type)
    logger.info("upload to s3://%s/%s started by user %s", bucket, key, owner.pk)
    upload = Upload(key=key, filename=filename, upload_id=upload_id)
    return Started(upload_id=upload_id, handle=handle_make("multipart", upload, owner))


def _own(handle: str, upload_id: str, owner: AbstractBaseUser) -> Upload:
    upload = handle_read("multipart", handle, owner)
    if upload.upload_id != upload_id:
        raise ValidationError(
            _("This upload was not made here; upload the file again."), code="upload_invalid"
        )
    return upload


def upload_part_url(
    *, owner: AbstractBaseUser, handle: str, upload_id: str, part_number: int
) -> str:
    """A presigned PUT for one part, valid UPLOAD_PART_URL_TTL seconds (credential-capped)."""
    upload = _own(handle, upload_id, owner)
    if not 1 <= part_number <= MAX_PARTS:
        raise ValidationError(
            _("Part numbers run from 1 to %(max)d."), code="part_number", params={"max": MAX_PARTS}
        )
    with storage_errors(f"sign part {part_number} of {upload.key}"):
        return aws.part_url(
            bucket=shares.default_bucket(),
            key=upload.key,
            upload_id=upload_id,
            part_number=part_number,
            expires_in=app_settings.UPLOAD_PART_URL_TTL,
        )


def upload_parts(*, owner: AbstractBaseUser, handle: str, upload_id: str) -> list[dict]:
    """The parts S3 already holds: what a resumed upload need not send again."""
    upload = _own(handle, upload_id, owner)
    with storage_errors(f"list the parts of {upload.key}"):
        return aws.parts_list(bucket=shares.default_bucket(), key=upload.key, upload_id=upload_id)


def _parts_clean(parts: object) -> list[dict]:
    """[{"PartNumber": n, "ETag": "..."}] in rising order, as CompleteMultipartUpload wants."""
    invalid = ValidationError(_("The list of parts is not valid."), code="parts")
    if not isinstance(parts, list) or not 0 < len(parts) <= MAX_PARTS:
        raise invalid
    cleaned, previous = [], 0
    for part in parts:
        number = part.get("PartNumber") if isinstance(part, dict) else None
        etag = part.get("ETag") if isinstance(part, dict) else None
        if not isinstance(number, int) or not previous < number <= MAX_PARTS:
            raise invalid
        if not isinstance(etag, str) or not 0 < len(etag) <= 128:
            raise invalid
        cleaned.append({"PartNumber": number, "ETag": etag})
        previous = number
    return cleaned


def upload_complete(*, owner: AbstractBaseUser, handle: str, upload_id: str, parts: object) -> str:
    """Join the parts into the object; returns the file's handle, which the add form takes.

    A repeated completion (the browser never saw S3's answer to the first) finds the upload
    gone but the object there, and answers as the first would have.
    """
    upload = _own(handle, upload_id, owner)
    bucket = shares.default_bucket()
    cleaned = _parts_clean(parts)
    try:
        with storage_errors(f"complete {upload.key}"):
            aws.multipart_complete(
                bucket=bucket, key=upload.key, upload_id=upload_id, parts=cleaned
            )
    except ValidationError as err:
        if err.code != "upload_gone":
            raise
    with storage_errors(f"HEAD {upload.key}"):
        info = aws.object_head(bucket=bucket, key=upload.key)
    if info is None:
        raise object_gone()
    logger.info("upload to s3://%s/%s complete: %d bytes", bucket, upload.key, info.size)
    finished = Upload(key=upload.key, filename=upload.filename, size=info.size)
    return handle_make("file", finished, owner)


def upload_abort(*, owner: AbstractBaseUser, handle: str, upload_id: str) -> None:
    """Cancel the upload: S3 drops the parts stored so far. Cancelling twice is fine."""
    upload = _own(handle, upload_id, owner)
    with storage_errors(f"abort {upload.key}"):
        aws.multipart_abort(bucket=shares.default_bucket(), key=upload.key, upload_id=upload_id)
    logger.info("upload to %s cancelled by user %s", upload.key, owner.pk)


def uploaded_file(*, owner: AbstractBaseUser, handle: str) -> Upload:
    """The finished upload a handle names, if it is owner's; the add form shares it."""
    return handle_read("file", handle, owner)
