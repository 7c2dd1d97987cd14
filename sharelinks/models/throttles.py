"""Counters for throttles whose state must survive a cache flush, eviction or outage.

Guarding a secret (a share's password) with a counter that junk traffic can evict, or a
Redis restart can erase, would reopen the guessing it is meant to stop: the database keeps it.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ThrottleCounter(models.Model):
    """Failures counted under one key (a share and a client network, say) in a fixed window."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    window_start = models.DateTimeField(_("window start"), default=timezone.now)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)

    class Meta:
        verbose_name = _("throttle counter")
        verbose_name_plural = _("throttle counters")
        indexes = [models.Index(fields=["window_start"], name="throttle_window_start")]

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
