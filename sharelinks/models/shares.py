"""The share: one object behind one stable short link, and the terms it is shared on."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
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


def _default_language() -> str:
    return settings.LANGUAGE_CODE.split("-")[0]


def _default_time_zone() -> str:
    return settings.TIME_ZONE


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
    downloads_per_recipient = models.PositiveIntegerField(
        _("downloads per recipient"),
        null=True,
        blank=True,
        help_text=_("How often each person may download with their own link; empty: no limit."),
    )
    # A share sent to people gives each a personal link; the general link (the share's own
    # code) then works only if staff turn it on.
    general_link = models.BooleanField(
        _("general link works"),
        default=True,
        help_text=_(
            "Anyone with the share's general link may download. Off when the share was sent "
            "to people, each with a personal link."
        ),
    )
    note = models.TextField(
        _("note"), blank=True, help_text=_("For staff only; recipients never see it.")
    )
    message = models.TextField(
        _("message to recipients"),
        blank=True,
        help_text=_("Shown on the download page and carried by the link emails."),
    )
    # Scanners in mail systems fetch every link with a GET before the person does: only the
    # landing page's button (a POST) spends a download, unless staff choose a direct link.
    direct_download = models.BooleanField(
        _("direct download"),
        default=False,
        help_text=_(
            "The link downloads at once, without the page and its button (for scripts). "
            "Mail scanners that open links may then use up its downloads."
        ),
    )
    password = models.CharField(_("password"), max_length=128, blank=True, editable=False)
    language = models.CharField(
        _("language of the emails"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=_default_language,
    )
    # The zone of the staff member who made the share: every time a recipient sees (pages,
    # emails) is shown in it, with the zone named, so page and email agree.
    time_zone = models.CharField(_("time zone"), max_length=64, default=_default_time_zone)
    last_download_at = models.DateTimeField(
        _("last download"), null=True, blank=True, editable=False
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
    def has_password(self) -> bool:
        return bool(self.password)

    @property
    def path(self) -> str:
        """The short link's path; the absolute link is shares.share_url()."""
        return f"{LINK_PREFIX}{self.code}"

    def set_password(self, raw: str) -> None:
        """Store a hash of raw ("" removes the password); the text itself is never kept."""
        self.password = make_password(raw) if raw else ""

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)

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
