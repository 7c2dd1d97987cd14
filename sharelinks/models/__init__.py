"""The records: shares, their click log, the email outbox, and database-kept throttles."""

from sharelinks.models.clicks import Click, ClickOutcome
from sharelinks.models.deliveries import (
    ONCE_PER_SHARE,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
)
from sharelinks.models.recipients import Recipient, RecipientState
from sharelinks.models.shares import NotifyDownloads, Share, ShareQuerySet, ShareStatus
from sharelinks.models.throttles import ThrottleCounter

__all__ = [
    "ONCE_PER_SHARE",
    "Click",
    "ClickOutcome",
    "Delivery",
    "DeliveryKind",
    "DeliveryStatus",
    "NotifyDownloads",
    "Recipient",
    "RecipientState",
    "Share",
    "ShareQuerySet",
    "ShareStatus",
    "ThrottleCounter",
]
