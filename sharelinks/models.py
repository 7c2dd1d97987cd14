"""The share record and its click log."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sharelinks.codes import LINK_PREFIX, code_generate


class ShareStatus(models.TextChoices):
    """What a click on a share would get right now."""

    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    EXHAUSTED = "exhausted", _("Download limit reached")


class ShareQuerySet(models.QuerySet):
    """Status filters in SQL, so the admin and the conditional UPDATE agree with status."""

    def active(self, now: datetime | None = None) -> "ShareQuerySet":
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now).filter(
            Q(max_downloads__isnull=True) | Q(download_count__lt=F("max_downloads"))
        )

    def with_status(self, status: str, now: datetime | None = None) -> "ShareQuerySet":
        now = now or timezone.now()
        if status == ShareStatus.ACTIVE:
            return self.active(now)
        if status == ShareStatus.REVOKED:
            return self.filter(revoked_at__isnull=False)
        if status == ShareStatus.EXPIRED:
            return self.filter(revoked_at__isnull=True, expires_at__lte=now)
        if status == ShareStatus.EXHAUSTED:
            return self.filter(
                revoked_at__isnull=True,
                expires_at__gt=now,
                max_downloads__isnull=False,
                download_count__gte=F("max_downloads"),
            )
        raise ValueError(f"unknown share status {status!r}")


class NotifyDownloads(models.TextChoices):
    """When the owner hears that a recipient fetched the file."""

    FIRST = "first", _("On the first download")
    EVERY = "every", _("On every download")
    NEVER = "never", _("Never")


class Share(models.Model):
    """One object shared through one stable short link, for as long as the record says."""

    # 22 characters today (codes.CODE_LENGTH); the column leaves room for a longer format.
    code = models.CharField(
        _("code"), max_length=24, unique=True, editable=False, default=code_generate
    )
    bucket = models.CharField(_("bucket"), max_length=63)
    key = models.CharField(_("object key"), max_length=1024)
    filename = models.CharField(
        _("download filename"),
        max_length=255,
        help_text=_("The name the recipient's browser saves the file under."),
    )
    content_type = models.CharField(_("content type"), max_length=255, blank=True)
    size = models.BigIntegerField(_("size in bytes"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="shares",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    max_downloads = models.PositiveIntegerField(
        _("download limit"),
        null=True,
        blank=True,
        help_text=_("Leave empty for no limit."),
    )
    download_count = models.PositiveIntegerField(_("downloads"), default=0, editable=False)
    note = models.TextField(
        _("note"), blank=True, help_text=_("For staff only; recipients never see it.")
    )
    notify_downloads = models.CharField(
        _("tell me about downloads"),
        max_length=8,
        choices=NotifyDownloads.choices,
        default=NotifyDownloads.FIRST,
    )
    # Set by the broken-share check when a HEAD finds no object; clicks then get a
    # "file no longer available" page instead of a redirect to an S3 error.
    missing_since = models.DateTimeField(
        _("object missing since"), null=True, blank=True, editable=False
    )
    object_checked_at = models.DateTimeField(
        _("object last checked"), null=True, blank=True, editable=False
    )

    objects = ShareQuerySet.as_manager()

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_downloads__isnull=True) | Q(max_downloads__gte=1),
                name="share_max_downloads_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    def status_at(self, now: datetime) -> ShareStatus:
        """The status at a moment; revocation wins over expiry, expiry over exhaustion."""
        if self.revoked_at is not None:
            return ShareStatus.REVOKED
        if self.expires_at <= now:
            return ShareStatus.EXPIRED
        if self.max_downloads is not None and self.download_count >= self.max_downloads:
            return ShareStatus.EXHAUSTED
        return ShareStatus.ACTIVE

    @property
    def status(self) -> ShareStatus:
        return self.status_at(timezone.now())

    @property
    def path(self) -> str:
        """The short link's path; the absolute link is shares.share_url()."""
        return f"{LINK_PREFIX}{self.code}"

    def revoke(self, when: datetime) -> None:
        """Withdraw the share from that moment; clicks then answer 410."""
        self.revoked_at = when
        self.save(update_fields=["revoked_at"])

    def reinstate(self) -> None:
        """Undo a revocation; the link works again if it has not expired."""
        self.revoked_at = None
        self.save(update_fields=["revoked_at"])

    def extend(self, until: datetime) -> None:
        """Move the expiry; the link stays the same."""
        self.expires_at = until
        self.save(update_fields=["expires_at"])


class ClickOutcome(models.TextChoices):
    """What one access to a share got."""

    REDIRECTED = "redirected", _("Redirected to the file")
    EXPIRED = "expired", _("Refused: expired")
    REVOKED = "revoked", _("Refused: revoked")
    EXHAUSTED = "exhausted", _("Refused: download limit reached")
    UNAVAILABLE = "unavailable", _("Failed: storage unavailable")
    MISSING = "missing", _("Refused: file missing from storage")


class Click(models.Model):
    """One access to a share, kept for the owner's click log (IPs truncated on purpose)."""

    share = models.ForeignKey(
        Share, verbose_name=_("share"), on_delete=models.CASCADE, related_name="clicks"
    )
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=ClickOutcome.choices)
    client_ip = models.GenericIPAddressField(
        _("client network"),
        null=True,
        blank=True,
        help_text=_("Truncated to /24 (IPv4) or /48 (IPv6): enough to tell offices apart."),
    )
    user_agent = models.CharField(_("user agent"), max_length=256, blank=True)

    class Meta:
        verbose_name = _("click")
        verbose_name_plural = _("clicks")
        ordering = ["-at"]
        indexes = [models.Index(fields=["share", "-at"], name="click_share_recent")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {self.at:%Y-%m-%d %H:%M}"


class DeliveryKind(models.TextChoices):
    """Why an email is sent, and so to whom and from which templates."""

    LINK = "link", _("Link to a recipient")
    FIRST_DOWNLOAD = "first_download", _("First download, to the owner")
    DOWNLOAD = "download", _("Download, to the owner")
    EXPIRY_REMINDER = "expiry_reminder", _("Expiry reminder, to the owner")
    MISSING = "missing", _("File missing, to the owner")


# Kinds that may happen at most once per share: the unique constraint below makes "once"
# a fact of the database, so racing clicks or sweeps cannot send two.
ONCE_PER_SHARE = [DeliveryKind.FIRST_DOWNLOAD, DeliveryKind.EXPIRY_REMINDER, DeliveryKind.MISSING]


class DeliveryStatus(models.TextChoices):
    """Where one email is in the outbox."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One email in the outbox: written with the change that causes it, sent by a task."""

    share = models.ForeignKey(
        Share, verbose_name=_("share"), on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DeliveryKind.choices)
    recipient = models.EmailField(_("recipient"))
    message = models.TextField(_("message"), blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    click = models.ForeignKey(
        Click, verbose_name=_("click"), on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    # When the next attempt is due; the sweeper takes pending rows well past it.
    due_at = models.DateTimeField(_("due"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="delivery_status_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["share", "recipient"],
                condition=Q(kind=DeliveryKind.LINK),
                name="delivery_link_once_per_recipient",
            ),
            models.UniqueConstraint(
                fields=["share", "kind"],
                condition=Q(kind__in=ONCE_PER_SHARE),
                name="delivery_once_per_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"
