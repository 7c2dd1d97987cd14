"""Everything that changes shares or answers a click; views, admin, commands and tasks call it."""

import ipaddress
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from sharelinks import maintenance, outbox, s3, signing
from sharelinks.conf import app_settings
from sharelinks.disposition import visible
from sharelinks.models import Click, ClickOutcome, Share, ShareStatus

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
    bucket = bucket or _default_bucket()
    allowed = [_default_bucket(), *app_settings.SOURCE_BUCKETS]
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


@dataclass(frozen=True)
class ClickResult:
    """What the click view needs to answer: a status, the share if known, a URL if active."""

    status: ShareStatus | None  # None: no share has this code
    share: Share | None = None
    url: str = ""
    unavailable: bool = False
    missing: bool = False  # the broken-share check found no object: 410 "no longer available"


_REFUSALS = {
    ShareStatus.EXPIRED: ClickOutcome.EXPIRED,
    ShareStatus.REVOKED: ClickOutcome.REVOKED,
    ShareStatus.EXHAUSTED: ClickOutcome.EXHAUSTED,
}


def client_network(ip: str | None) -> str | None:
    """The client's address truncated to /24 (IPv4) or /48 (IPv6), or None if unparsable."""
    text = (ip or "").strip()
    # Some proxies append the port: "203.0.113.5:443", "[2001:db8::1]:443".
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def _object_present(share: Share) -> bool:
    """Whether the share's object is still in S3, asked at most every VERIFY_OBJECT_CACHE s.

    A redirect to a deleted object would show the recipient S3's XML NoSuchKey page; a HEAD
    first turns that into the "no longer available" page (and flags the share for its
    owner), and a file put back works again at once. Only a found object is remembered, so
    a deletion shows within the cache time and most clicks pay no S3 round trip.
    Raises s3.StorageUnavailable (a 503, uncounted).
    """
    if not app_settings.VERIFY_OBJECT_ON_CLICK:
        return share.missing_since is None  # as the last broken-share check found it
    remembered = f"sharelinks:object-present:{share.pk}"
    if share.missing_since is None and cache.get(remembered):
        return True
    try:
        info = s3.object_head(bucket=share.bucket, key=share.key)
    except s3.StorageUnavailable:
        raise
    except s3.StorageError as err:
        # Refused (403) or odd answers say nothing about the object: S3 decides on the GET.
        logger.warning("share %s: cannot check its object: %s", share.pk, err)
        return True
    if info is None or share.missing_since is not None:
        # Flag a newly missing object; clear the flag of one put back since the check.
        maintenance.object_presence_record(share=share, found=info is not None)
    if info is None:
        return False
    cache.set(remembered, True, app_settings.VERIFY_OBJECT_CACHE)
    return True


def _fresh_url(share: Share) -> str | None:
    """A URL signed now for the share's object, or None when the object is gone."""
    if not _object_present(share):
        return None
    return signing.download_url(
        bucket=share.bucket,
        key=share.key,
        filename=share.filename,
        content_type=share.content_type,
        expires_in=app_settings.URL_TTL,
    )


def _head_result(share: Share, status: ShareStatus) -> ClickResult:
    """What a GET would get, without counting or signing: HEAD and GET must agree."""
    if status != ShareStatus.ACTIVE:
        return ClickResult(status=status, share=share)
    try:
        present = _object_present(share)
    except s3.StorageUnavailable:
        return ClickResult(status=status, share=share, unavailable=True)
    return ClickResult(status=status, share=share, missing=not present)


def click_resolve(
    *, code: str, client_ip: str | None, user_agent: str, count: bool = True
) -> ClickResult:
    """Look a code up, and for a GET count the download and presign a fresh URL.

    The count is one conditional UPDATE whose WHERE clause repeats the active test, so
    concurrent clicks can never pass max_downloads: the database serialises the updates and
    each sees the count left by the one before. A HEAD (count=False) only reports.
    """
    share = Share.objects.select_related("owner").filter(code=code).first()
    if share is None:
        return ClickResult(status=None)
    now = timezone.now()
    status = share.status_at(now)
    if not count:
        return _head_result(share, status)
    click = {
        "client_ip": client_network(client_ip),
        "user_agent": user_agent[: app_settings.USER_AGENT_MAX_LENGTH],
    }
    if status != ShareStatus.ACTIVE:
        Click.objects.create(share=share, outcome=_REFUSALS[status], **click)
        return ClickResult(status=status, share=share)
    try:
        url = _fresh_url(share)
    except s3.StorageUnavailable as err:
        logger.error("share %s: cannot presign: %s", share.pk, err)
        Click.objects.create(share=share, outcome=ClickOutcome.UNAVAILABLE, **click)
        return ClickResult(status=status, share=share, unavailable=True)
    if url is None:
        Click.objects.create(share=share, outcome=ClickOutcome.MISSING, **click)
        return ClickResult(status=status, share=share, missing=True)
    with transaction.atomic():
        counted = (
            Share.objects.filter(pk=share.pk)
            .active(now)
            .update(download_count=F("download_count") + 1)
        )
        if counted:
            row = Click.objects.create(share=share, outcome=ClickOutcome.REDIRECTED, **click)
            # Only a row and an on-commit publish: the owner's email never slows the click.
            outbox.download_notify(share=share, click=row, first=share.download_count == 0)
    if counted:
        share.download_count += 1
        return ClickResult(status=ShareStatus.ACTIVE, share=share, url=url)
    # Another click took the last download (or staff revoked) between lookup and UPDATE.
    share.refresh_from_db()
    status = share.status_at(now)
    if status == ShareStatus.ACTIVE:
        status = ShareStatus.EXHAUSTED
    Click.objects.create(share=share, outcome=_REFUSALS[status], **click)
    return ClickResult(status=status, share=share)
