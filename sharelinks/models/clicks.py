"""The click log: every page view, download and refusal of a share, kept for its owner."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sharelinks.models.shares import Share


class ClickOutcome(models.TextChoices):
    """What one access to a share got."""

    VIEWED = "viewed", _("Page viewed (not counted)")
    REDIRECTED = "redirected", _("Downloaded")
    RESUMED = "resumed", _("Download resumed (not counted)")
    EXPIRED = "expired", _("Refused: expired")
    REVOKED = "revoked", _("Refused: revoked")
    EXHAUSTED = "exhausted", _("Refused: download limit reached")
    UNAVAILABLE = "unavailable", _("Failed: storage unavailable")
    MISSING = "missing", _("Refused: file missing from storage")
    PERSON_WITHDRAWN = "person_withdrawn", _("Refused: this person's access withdrawn")
    PERSON_SUSPENDED = "person_suspended", _("Refused: this person's link suspended")
    REPLACED = "replaced", _("Refused: link replaced by a newer one")
    PERSON_EXHAUSTED = "person_exhausted", _("Refused: this person's downloads used up")
    GENERAL_OFF = "general_off", _("Refused: general link off")


class Click(models.Model):
    """One access to a share, kept for the owner's click log (IPs truncated on purpose)."""

    # No index of its own: click_share_recent starts with the share, and serves every
    # query by share (and the cascade) as well; a second one would be one more index
    # insert in each click's statement.
    share = models.ForeignKey(
        Share,
        verbose_name=_("share"),
        on_delete=models.CASCADE,
        db_index=False,
        related_name="clicks",
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
    # The personal link used, if any. Indexed by a migration that builds the index
    # concurrently on PostgreSQL, so adding it never blocks clicks.
    recipient = models.ForeignKey(
        "sharelinks.Recipient",
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="clicks",
    )
    scanner = models.BooleanField(
        _("scanner"),
        default=False,
        help_text=_("The user agent is a known mail scanner or link previewer."),
    )

    class Meta:
        verbose_name = _("click")
        verbose_name_plural = _("clicks")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["share", "-at"], name="click_share_recent"),
            # Only clicks through a personal link: most clicks have no person, and an
            # index entry for each of them would be one more insert per click for nothing
            # (a lookup by a person, or the person's deletion, names one).
            models.Index(
                fields=["recipient", "-at"],
                name="click_personal_recent",
                condition=models.Q(recipient__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {self.at:%Y-%m-%d %H:%M}"
