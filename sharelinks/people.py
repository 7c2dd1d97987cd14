"""The people a share was sent to: add, withdraw, reinstate, give a new link, erase; and
what a counted download through a personal link tells (networks, a forwarded link).

Lock order everywhere: the person's row, then the share's -- clicks and staff actions
alike -- so two of them can never wait on each other (no deadlock turned into a 503).
"""

import json
import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from sharelinks.conf import app_settings
from sharelinks.models import Delivery, DeliveryKind, Recipient, RecipientState, Share

logger = logging.getLogger(__name__)

# An erased person's address: erased-<id>@invalid. The .invalid domain (RFC 2606) is never a
# real one and Django's validator refuses it, so no address anyone types looks like it; the
# id keeps each unique, so a share's erased people never collide on its one-per-address rule.
ERASED_DOMAIN = "@invalid"


def _live(share: Share, address: str) -> Recipient | None:
    """The share's record for this address whatever its case (replaced ones are history)."""
    return (
        share.recipients.exclude(state=RecipientState.REPLACED)
        .filter(address__iexact=address)
        .first()
    )


def person_add(*, share: Share, address: str, name: str = "") -> tuple[Recipient, bool]:
    """The share's record for this address (any case), made if new; (record, created)."""
    existing = _live(share, address)
    if existing is not None:
        if name and not existing.name:
            existing.name = name
            existing.save(update_fields=["name"])
        return existing, False
    person = Recipient.objects.create(share=share, address=address, name=name)
    logger.info("share %s: recipient %s added", share.pk, person.pk)
    return person, True


def person_add_new(*, share: Share, address: str, name: str = "") -> Recipient:
    """A person staff add by hand, with their own link and no email: refused when the
    address is already on the share, so staff learn it instead of seeing nothing happen.

    A withdrawn person is told apart: their old link still says "withdrawn", and only
    reinstating them gives them access again.
    """
    existing = _live(share, address)
    if existing is not None:
        _refuse_inactive(existing, _("%(person)s's access is %(state)s: reinstate them first."))
        raise ValidationError(
            _("%(person)s is already on this share."),
            code="person_exists",
            params={"person": existing.label},
        )
    try:
        with transaction.atomic():
            return person_add(share=share, address=address, name=name)[0]
    except IntegrityError:  # added by someone else since the lookup (the unique constraint)
        raise ValidationError(
            _("%(person)s is already on this share."), code="person_exists",
            params={"person": address},
        ) from None  # fmt: skip


def _refuse_inactive(person: Recipient, message: str) -> None:
    if person.state in (RecipientState.WITHDRAWN, RecipientState.SUSPENDED):
        raise ValidationError(
            message,
            code="person_not_active",
            params={"person": person.label, "state": person.get_state_display().lower()},
        )


def person_sendable(person: Recipient) -> None:
    """Refuse to send a link to someone whose access was taken away."""
    _refuse_inactive(
        person, _("%(person)s's access is %(state)s: reinstate them first, then send the link.")
    )


def _set_state(person: Recipient, state: RecipientState, **fields) -> None:
    with transaction.atomic():
        locked = Recipient.objects.select_for_update().get(pk=person.pk)  # person first
        locked.state, locked.state_changed_at = state, timezone.now()
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["state", "state_changed_at", *fields])
    person.refresh_from_db()


def person_withdraw(*, person: Recipient) -> None:
    """This person's link answers 410 "withdrawn"; the others keep working."""
    if person.state == RecipientState.ACTIVE:
        _set_state(person, RecipientState.WITHDRAWN)


def person_reinstate(*, person: Recipient) -> None:
    """Undo a withdrawal or suspension; the networks seen start counting afresh."""
    if person.state in (RecipientState.WITHDRAWN, RecipientState.SUSPENDED):
        _set_state(person, RecipientState.ACTIVE, networks={}, forwarded_at=None)


def person_replace(*, person: Recipient) -> Recipient:
    """A new code for the person; the old link answers 410 "replaced". The count carries over.

    The old record stays (so its code can say it was replaced) with its counts moved to the
    new one: the share's count stays the sum of its people's plus the general link's.
    """
    if person.state == RecipientState.REPLACED:
        raise ValidationError(_("This link was already replaced."), code="already_replaced")
    with transaction.atomic():
        old = Recipient.objects.select_for_update().get(pk=person.pk)
        old.state, old.state_changed_at = RecipientState.REPLACED, timezone.now()
        old.save(update_fields=["state", "state_changed_at"])
        new = Recipient.objects.create(
            share=old.share, name=old.name, address=old.address,
            download_count=old.download_count, view_count=old.view_count,
            first_download_at=old.first_download_at, last_download_at=old.last_download_at,
            networks=old.networks,
        )  # fmt: skip
        old.download_count = old.view_count = 0
        old.replaced_by = new
        old.save(update_fields=["download_count", "view_count", "replaced_by"])
    person.refresh_from_db()
    return new


def _erased_address(prefix: str) -> Concat:
    return Concat(Value(prefix), Cast("pk", CharField()), Value(ERASED_DOMAIN))


def people_erase(recipients: QuerySet) -> int:
    """Anonymise these people's name, address and networks, and the emails sent to them;
    the counts stay (the share's sum needs them). Returns how many records."""
    to_them = Delivery.objects.filter(
        person__in=recipients, kind__in=[DeliveryKind.LINK, DeliveryKind.REMINDER]
    )  # not the owner's emails about them, which go to the owner's own address
    to_them.update(recipient=_erased_address("erased-email-"), recipient_name="")
    return recipients.update(name="", address=_erased_address("erased-"), networks={})


def person_erase(*, person: Recipient) -> None:
    """Anonymise one person, and the records of the links they had before (a replaced
    record would otherwise keep the name and address)."""
    earlier = Q(state=RecipientState.REPLACED, address__iexact=person.address)
    people_erase(Recipient.objects.filter(Q(pk=person.pk) | earlier, share_id=person.share_id))
    person.refresh_from_db()


def _recent(networks: dict, now: datetime) -> int:
    since = now - timedelta(seconds=app_settings.FORWARD_WINDOW)
    return sum(1 for seen in networks.values() if datetime.fromisoformat(seen) >= since)


def person_networks_seen(*, person: Recipient, networks: dict | str, now: datetime) -> bool:
    """Flag (and maybe suspend) a link used from at least FORWARD_NETWORKS networks within
    FORWARD_WINDOW, once per episode. `networks` is what the person's row holds after this
    download recorded its network (in the click's transaction, the row locked:
    sharelinks.counting). True when this download flagged it (the caller tells the owner,
    in the same transaction)."""
    person.networks = json.loads(networks) if isinstance(networks, str) else networks
    if (
        person.forwarded_at is not None
        or _recent(person.networks, now) < app_settings.FORWARD_NETWORKS
    ):
        return False
    fields = {"forwarded_at": now}
    if app_settings.FORWARD_SUSPEND:
        fields.update(state=RecipientState.SUSPENDED, state_changed_at=now)
    Recipient.objects.filter(pk=person.pk).update(**fields)
    for name, value in fields.items():
        setattr(person, name, value)
    logger.warning("share %s: recipient %s's link used from many networks", person.share_id,
                   person.pk)  # fmt: skip
    return True


def people_not_downloaded(share: Share):
    """The active people who have not downloaded yet (for a reminder)."""
    return share.recipients.filter(state=RecipientState.ACTIVE, download_count=0)


def people_live(share: Share):
    """The share's people as staff list them: neither replaced (history) nor erased."""
    erased = Q(address__endswith=ERASED_DOMAIN)
    return share.recipients.exclude(Q(state=RecipientState.REPLACED) | erased)


def people_summary(share: Share) -> dict[str, int]:
    """How many live people the share has, and how many of them downloaded."""
    live = people_live(share)
    return {"people": live.count(), "downloaded": live.filter(download_count__gt=0).count()}
