"""The email outbox's rows: one per email, written with the change that causes it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sharelinks.models.clicks import Click
from sharelinks.models.shares import Share


class DeliveryKind(models.TextChoices):
    """Why an email is sent, and so to whom and from which templates."""

    LINK = "link", _("Link to a recipient")
    FIRST_DOWNLOAD = "first_download", _("First download, to the owner")
    DOWNLOAD = "download", _("Download, to the owner")
    EXPIRY_REMINDER = "expiry_reminder", _("Expiry reminder, to the owner")
    MISSING = "missing", _("File missing, to the owner")
    FORWARDED = "forwarded", _("Link used from many places, to the owner")
    REMINDER = "reminder", _("Reminder to a recipient who has not downloaded")


# Kinds that may happen at most once per share: the unique constraint below makes "once"
# a fact of the database, so racing clicks or sweeps cannot send two.
ONCE_PER_SHARE = [DeliveryKind.FIRST_DOWNLOAD, DeliveryKind.EXPIRY_REMINDER, DeliveryKind.MISSING]
# With personal links "first download" is once per person (and once for the general link).
ONCE_PER_PERSON = [DeliveryKind.FIRST_DOWNLOAD]


class DeliveryStatus(models.TextChoices):
    """Where one email is in the outbox."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


# An email on its way: another to the same recipient would only repeat it.
ON_ITS_WAY = [DeliveryStatus.PENDING, DeliveryStatus.SENDING]


class Delivery(models.Model):
    """One email in the outbox: written with the change that causes it, sent by a task."""

    share = models.ForeignKey(
        Share, verbose_name=_("share"), on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DeliveryKind.choices)
    recipient = models.EmailField(_("recipient"))
    # As staff pasted it ("Keller, Maria"), for the To: header; never parsed again.
    recipient_name = models.CharField(_("recipient's name"), max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # indexed where set: Meta.indexes
        related_name="+",
    )
    # The person the email is to (a link) or about (a download, a forwarded link).
    person = models.ForeignKey(
        "sharelinks.Recipient",
        verbose_name=_("person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # indexed where set: Meta.indexes
        related_name="deliveries",
    )
    click = models.ForeignKey(
        Click,
        verbose_name=_("click"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # indexed where set: Meta.indexes
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
    # Set by the claim that sends the row, and kept once it is sent or failed: the claim's
    # stamp. Null exactly while the row is pending (a check below), so the outbox finds
    # claimable rows without asking the status index (sharelinks.mail.outbox).
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="delivery_status_due"),
            # A sender, a person, a click: most rows have one or two of them, and every
            # lookup by one (its admin page, its deletion) names one, so only rows that
            # have it are indexed -- an email row costs no index insert for what it lacks.
            *(
                models.Index(
                    fields=[name],
                    name=f"delivery_{name}",
                    condition=Q(**{f"{name}__isnull": False}),
                )
                for name in ("sender", "person", "click")
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.PENDING, claimed_at__isnull=True)
                | (~Q(status=DeliveryStatus.PENDING) & Q(claimed_at__isnull=False)),
                name="delivery_claimed_unless_pending",
            ),
            # Each send of a link is a row of its own (its own Message-ID, the earlier
            # ones kept as the record); only one may be on its way to an address at once.
            models.UniqueConstraint(
                "share",
                Lower("recipient"),
                condition=Q(kind=DeliveryKind.LINK, status__in=ON_ITS_WAY),
                name="delivery_link_one_on_its_way",
            ),
            models.UniqueConstraint(
                fields=["share", "kind"],
                condition=Q(kind__in=ONCE_PER_SHARE, person__isnull=True),
                name="delivery_once_per_share",
            ),
            models.UniqueConstraint(
                fields=["person", "kind"],
                condition=Q(kind__in=ONCE_PER_PERSON, person__isnull=False),
                name="delivery_once_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"
