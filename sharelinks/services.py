"""Everything that creates or changes a share; the admin, commands and tasks call it."""

import logging
import secrets
import unicodedata
from datetime import datetime
from typing import IO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from sharelinks import s3
from sharelinks.conf import app_settings
from sharelinks.disposition import visible
from sharelinks.models import Share

logger = logging.getLogger(__name__)

FILENAME_MAX_LENGTH = 255


def share_url_base() -> str:
    """SHARELINKS_BASE_URL without a trailing slash; links made outside a request need it."""
    base = app_settings.BASE_URL.rstrip("/")
    if not base:
        raise ImproperlyConfigured(
            "SHARELINKS_BASE_URL is not set, so no absolute link can be made outside a "
            "request: set it to the public origin, e.g. https://files.example.com"
        )
    return base


def share_url(share: Share, request: HttpRequest | None = None) -> str:
    """The absolute short link, from SHARELINKS_BASE_URL or else the current request."""
    if not app_settings.BASE_URL and request is not None:
        return request.build_absolute_uri(share.path)
    return share_url_base() + share.path


def expiry_validate(expires_at: datetime, *, now: datetime | None = None) -> None:
    """Refuse an expiry in the past or beyond SHARELINKS_MAX_LIFETIME from now."""
    now = now or timezone.now()
    if expires_at <= now:
        raise ValidationError(
            _("The expiry must be in the future."),
            code="expiry_past",
            params={"field": "expires_at"},
        )
    latest = now + app_settings.MAX_LIFETIME
    if expires_at > latest:
        raise ValidationError(
            _("A share may live at most %(days)s days, so it must expire by %(latest)s."),
            code="expiry_too_late",
            params={
                "days": app_settings.MAX_LIFETIME.days,
                "latest": f"{latest:%Y-%m-%d %H:%M %Z}",
            },
        )


def filename_clean(name: str) -> str:
    """A download filename without directories or control characters, at most 255 chars."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = visible(unicodedata.normalize("NFC", name)).strip()
    if name in {"", ".", ".."}:
        raise ValidationError(_("The file name is empty."), code="filename_empty")
    if len(name) > FILENAME_MAX_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:  # keep the extension: it decides what opens the file
            name = stem[: FILENAME_MAX_LENGTH - len(ext) - 1] + "." + ext
        else:
            name = name[:FILENAME_MAX_LENGTH]
    return name


def _expiry_or_default(expires_at: datetime | None) -> datetime:
    expires_at = expires_at or timezone.now() + app_settings.DEFAULT_LIFETIME
    expiry_validate(expires_at)
    return expires_at


def share_create(
    *,
    owner: AbstractBaseUser,
    key: str,
    bucket: str | None = None,
    filename: str | None = None,
    expires_at: datetime | None = None,
    max_downloads: int | None = None,
    note: str = "",
) -> Share:
    """Share an object already in S3; it must exist (HEAD), and its size and type are kept."""
    expires_at = _expiry_or_default(expires_at)
    default = _default_bucket()
    bucket = bucket or default
    allowed = [default, *app_settings.SOURCE_BUCKETS]
    if bucket not in allowed:
        raise ValidationError(
            _(
                "Files can be shared only from %(allowed)s; an operator can allow "
                "s3://%(bucket)s with SHARELINKS_SOURCE_BUCKETS."
            ),
            code="bucket_not_allowed",
            params={"allowed": ", ".join(f"s3://{name}" for name in allowed), "bucket": bucket},
        )
    try:
        info = s3.object_head(bucket=bucket, key=key)
    except s3.StorageError as err:
        raise ValidationError(str(err), code="storage_error") from err
    if info is None:
        raise ValidationError(
            _("There is no object s3://%(bucket)s/%(key)s."),
            code="object_missing",
            params={"bucket": bucket, "key": key},
        )
    share = Share(
        owner=owner,
        bucket=bucket,
        key=key,
        filename=filename_clean(filename or key),
        content_type=info.content_type,
        size=info.size,
        expires_at=expires_at,
        max_downloads=max_downloads,
        note=note,
    )
    share.full_clean()
    share.save()
    logger.info("share %s created by user %s for s3://%s/%s", share.pk, owner.pk, bucket, key)
    return share


def share_create_from_upload(
    *,
    owner: AbstractBaseUser,
    content: IO[bytes],
    filename: str,
    content_type: str = "",
    expires_at: datetime | None = None,
    **terms,
) -> Share:
    """Upload content under a server-made key (prefix/<random>/<name>) and share it.

    The expiry and name are checked before the upload, so bad input stores nothing;
    `terms` are share_create's max_downloads and note.
    """
    expires_at = _expiry_or_default(expires_at)
    filename = filename_clean(filename)
    bucket = _default_bucket()
    key = f"{app_settings.UPLOAD_PREFIX}{secrets.token_urlsafe(12)}/{filename}"
    try:
        key = s3.object_upload(bucket=bucket, key=key, content=content, content_type=content_type)
    except s3.StorageError as err:
        raise ValidationError(str(err), code="storage_error") from err
    return share_create(
        owner=owner, bucket=bucket, key=key, filename=filename, expires_at=expires_at, **terms
    )


def _default_bucket() -> str:
    if not settings.AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured(
            "AWS_STORAGE_BUCKET_NAME is not set: name the bucket to share from"
        )
    return settings.AWS_STORAGE_BUCKET_NAME


def share_revoke(*, share: Share) -> None:
    """Withdraw a share now; the link answers 410 "withdrawn" from the next click on."""
    if share.revoked_at is None:
        share.revoke(timezone.now())


def share_reinstate(*, share: Share) -> None:
    """Undo a revocation."""
    if share.revoked_at is not None:
        share.reinstate()


def share_extend(*, share: Share, until: datetime) -> None:
    """Give a share a new expiry (earlier or later); the link stays the same."""
    expiry_validate(until)
    share.extend(until)
