"""A recipient of a share: one person, their own link, their own count and state.

Staff send one file to several people; each gets a personal code, so the owner sees who
downloaded, can withdraw one person without cutting the others, and notices a link used
from unusually many places. Expiry, file, password and language stay the share's.
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sharelinks.codes import LINK_PREFIX, personal_code_generate
from sharelinks.models.shares import Share


class RecipientState(models.TextChoices):
    """Whether the person's own link works, and if not, why."""

    ACTIVE = "active", _("Active")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SUSPENDED = "suspended", _("Suspended: used from unusually many places")
    REPLACED = "replaced", _("Replaced by a new link")


class Recipient(models.Model):
    """One person a share was sent to, with a code of their own (at least 128 bits)."""

    share = models.ForeignKey(
        Share, verbose_name=_("share"), on_delete=models.CASCADE, related_name="recipients"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    address = models.EmailField(_("address"))
    # 24 characters, where a share's general code has 22: the length tells which table a
    # code lives in, so any code is found with one indexed lookup and never collides.
    code = models.CharField(
        _("code"), max_length=32, unique=True, editable=False, default=personal_code_generate
    )
    state = models.CharField(
        _("state"), max_length=12, choices=RecipientState.choices, default=RecipientState.ACTIVE
    )
    state_changed_at = models.DateTimeField(_("state since"), default=timezone.now)
    download_count = models.PositiveIntegerField(_("downloads"), default=0, editable=False)
    view_count = models.PositiveIntegerField(_("page views"), default=0, editable=False)
    first_download_at = models.DateTimeField(_("first download"), null=True, blank=True)
    last_download_at = models.DateTimeField(_("last download"), null=True, blank=True)
    # {network: last seen (ISO 8601)} of counted downloads, kept here because click rows
    # are purged; what the "used from unusually many places" check counts.
    networks = models.JSONField(_("networks seen"), default=dict, blank=True)
    forwarded_at = models.DateTimeField(
        _("flagged as forwarded"), null=True, blank=True, editable=False
    )
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["share", "created_at", "pk"]
        constraints = [
            # One live record per address and share, whatever its case; a replaced record
            # stays beside its successor so the old link can say it was replaced.
            models.UniqueConstraint(
                "share",
                Lower("address"),
                condition=~Q(state=RecipientState.REPLACED),
                name="recipient_one_per_address",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.address

    @property
    def path(self) -> str:
        return f"{LINK_PREFIX}{self.code}"

    @property
    def label(self) -> str:
        """How emails and pages name the person: the name, else the address."""
        return self.name or self.address
