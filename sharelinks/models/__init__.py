"""The records: shares, their people and click log, the email outbox, database-kept
throttles, and what the presence survey saw of each bucket."""

from sharelinks.models.clicks import Click, ClickOutcome
from sharelinks.models.deliveries import (
    ON_ITS_WAY,
    ONCE_PER_SHARE,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
)
from sharelinks.models.recipients import Recipient, RecipientState
from sharelinks.models.shares import NotifyDownloads, Share, ShareQuerySet, ShareStatus
from sharelinks.models.surveys import SURVEYED_AT, BucketSurvey, survey_time
from sharelinks.models.throttles import ThrottleCounter

__all__ = [
    "ONCE_PER_SHARE",
    "ON_ITS_WAY",
    "SURVEYED_AT",
    "BucketSurvey",
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
    "survey_time",
]
