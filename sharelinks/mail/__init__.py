"""Email: the outbox (rows written with their cause), the messages, retries and the broker hand-off.

Callers use these names; the modules behind them are this package's own business.
"""

from sharelinks.mail.dispatch import deliveries_dispatch, deliveries_fan_out, deliveries_publish
from sharelinks.mail.handoff import deliveries_hand_off
from sharelinks.mail.outbox import (
    deliveries_send,
    deliveries_sweep,
    delivery_send,
    download_notify,
    owner_notify,
)
from sharelinks.mail.recipients import Addressee, recipients_clean
from sharelinks.mail.sending import people_remind, share_send_link

__all__ = [
    "Addressee",
    "deliveries_dispatch",
    "deliveries_fan_out",
    "deliveries_hand_off",
    "deliveries_publish",
    "deliveries_send",
    "deliveries_sweep",
    "delivery_send",
    "download_notify",
    "owner_notify",
    "people_remind",
    "recipients_clean",
    "share_send_link",
]
