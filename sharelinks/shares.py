"""The share lifecycle: create (by key or upload), revoke, reinstate, extend, and what storage
said about the object. The admin, commands, tasks and the click path call it."""

import logging
import secrets
import unicodedata
from datetime import datetime
from typing import IO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sharelinks import aws, mail
from sharelinks.conf import app_settings
from sharelinks.disposition import visible
from sharelinks.models import DeliveryKind, Share

logger = logging.getLogger(__name__)

FILENAME_MAX_LENGTH = 255


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
    password: str = "",
    uploaded: bool = False,
    **terms,
) -> Share:
    """Share an object already in S3; it must exist (HEAD), and its size and type are kept.

    `uploaded` says the app stored the object for this share (never for a key staff
    named): such a file is deleted once no share can serve it (sharelinks.retention).
    `terms` are other Share fields staff may set (note, message, direct_download, language,
    notify_downloads). The share remembers the time zone active now -- the staff member's
    own in the admin -- so every time a recipient sees is shown in it.
    """
    expires_at = _expiry_or_default(expires_at)
    default = default_bucket()
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
        info = aws.object_head(bucket=bucket, key=key)
    except aws.StorageError as err:
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
        uploaded=uploaded,
        object_checked_at=timezone.now(),  # the HEAD above: no click need ask again soon
        time_zone=timezone.get_current_timezone_name(),
        **{name: value for name, value in terms.items() if value is not None},
    )
    share.set_password(password)
    share.full_clean()
    with (
        transaction.atomic()
    ):  # a savepoint: a refused INSERT leaves the caller's transaction usable
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
    `terms` are share_create's max_downloads, password and the other share fields.
    """
    expires_at = _expiry_or_default(expires_at)
    filename = filename_clean(filename)
    bucket = default_bucket()
    key = f"{app_settings.UPLOAD_PREFIX}{secrets.token_urlsafe(12)}/{filename}"
    try:
        key = aws.object_upload(bucket=bucket, key=key, content=content, content_type=content_type)
    except aws.StorageError as err:
        raise ValidationError(str(err), code="storage_error") from err
    try:
        return share_create(
            owner=owner, bucket=bucket, key=key, filename=filename, expires_at=expires_at,
            uploaded=True, **terms,
        )  # fmt: skip
    except (ValidationError, DatabaseError) as err:
        # Nothing shares the object and nobody else knows its random key: left behind it
        # would be an orphan no job ever deletes.
        _upload_discard(bucket, key)
        if isinstance(err, ValidationError):
            raise
        logger.exception("share for s3://%s/%s not saved; the upload was deleted", bucket, key)
        raise ValidationError(
            _(
                "The file was uploaded, but the database did not save the share (%(error)s). "
                "The upload was deleted and nothing was shared; try again."
            ),
            code="share_not_saved",
            params={"error": type(err).__name__},
        ) from err


def _upload_discard(bucket: str, key: str) -> None:
    try:
        aws.object_delete(bucket=bucket, key=key)
    except aws.StorageError:
        logger.exception(
            "s3://%s/%s: uploaded for a share that was not saved, and "
            "could not be deleted: delete it by hand",
            bucket,
            key,
        )


def default_bucket() -> str:
    """The app's own bucket, where uploads go; ImproperlyConfigured when none is set."""
    if not settings.AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured(
            "AWS_STORAGE_BUCKET_NAME is not set: name the bucket to share from"
        )
    return settings.AWS_STORAGE_BUCKET_NAME


def share_revoke(*, share: Share) -> None:
    """Withdraw a share now; the link answers 410 "withdrawn" from the next click on."""
    if share.revoked_at is None:
        share.revoke(timezone.now())


def file_kept_validate(share: Share) -> None:
    """Refuse to bring back a share whose uploaded file the app has already deleted."""
    if share.file_deleted_at is not None:
        deleted = date_format(timezone.localtime(share.file_deleted_at), "DATE_FORMAT")
        raise ValidationError(
            _("Its file was deleted on %(date)s, after every share of it had ended: upload "
              "the file again to share it."),
            code="file_deleted",
            params={"date": deleted},
        )  # fmt: skip


def share_reinstate(*, share: Share) -> None:
    """Undo a revocation."""
    if share.revoked_at is not None:
        file_kept_validate(share)
        share.reinstate()


def share_extend(*, share: Share, until: datetime) -> None:
    """Give a share a later expiry; the link stays the same.

    Never an earlier one: a prefilled date staff confirm without reading must not cut a
    share short. Shortening is a deliberate edit of the expiry on the share's page.
    """
    file_kept_validate(share)
    expiry_validate(until)
    if until < share.expires_at:
        current = date_format(timezone.localtime(share.expires_at), "DATETIME_FORMAT")
        raise ValidationError(
            _(
                "Not extended: %(share)s already runs until %(current)s, and extending never "
                "makes a share end sooner (change the expiry on its page to shorten it)."
            ),
            code="extend_shortens",
            params={"share": share.filename, "current": current},
        )
    share.extend(until)


def share_general_link_set(*, share: Share, on: bool) -> None:
    """Turn the share's general link on or off; people's own links are not affected."""
    share.general_link = on
    share.save(update_fields=["general_link"])


def share_presence_record(*, share: Share, found: bool) -> str:
    """Record what a HEAD of the share's object found; "missing", "restored" or "".

    The flag is set by a conditional UPDATE, so of a click and a check run that find the
    object gone at the same moment only one flags it and tells the owner.
    """
    now = timezone.now()
    if found:
        restored = Share.objects.filter(pk=share.pk, missing_since__isnull=False).update(
            object_checked_at=now, missing_since=None
        )
        if not restored:
            Share.objects.filter(pk=share.pk).update(object_checked_at=now)
        share.missing_since, share.object_checked_at = None, now
        if restored:
            logger.info("share %s: object is back", share.pk)
        return "restored" if restored else ""
    with transaction.atomic():  # the flag and the owner's email stand or fall together
        flagged = Share.objects.filter(pk=share.pk, missing_since__isnull=True).update(
            object_checked_at=now, missing_since=now
        )
        if not flagged:
            Share.objects.filter(pk=share.pk).update(object_checked_at=now)
            share.object_checked_at = now
            return ""
        logger.warning("share %s: s3://%s/%s is missing", share.pk, share.bucket, share.key)
        mail.owner_notify(share=share, kind=DeliveryKind.MISSING)
    share.missing_since = share.object_checked_at = now
    return "missing"
