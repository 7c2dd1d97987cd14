"""Links to recipients: each person's own link by email, in the caller's transaction, and
a reminder to those who have not downloaded. The outbox (outbox.py) sends them."""

from collections.abc import Callable, Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sharelinks import people
from sharelinks.mail.dispatch import deliveries_dispatch
from sharelinks.mail.recipients import Addressee, recipients_clean
from sharelinks.models import (
    ON_ITS_WAY,
    Delivery,
    DeliveryKind,
    Recipient,
    Share,
    ShareStatus,
)


def share_send_link(
    *,
    share: Share,
    recipients: str | Iterable[str | Addressee],
    message: str = "",
    sender: AbstractBaseUser | None = None,
    on_unqueued: Callable[[], None] | None = None,
) -> list[Delivery]:
    """Queue the short link for each recipient, in the caller's transaction; return the rows queued.

    A recipient who already has the link on its way is left alone (and not returned, so a
    caller counts only the emails this call adds); one whose earlier email was sent or
    failed gets a new row, a new email with its own Message-ID, and the earlier row stays
    as the record. on_unqueued is called (after commit) when the broker could not be told,
    so the caller can say that the mail waits for the sweeper.
    """
    addresses = recipients_clean(recipients)
    if not addresses:
        raise ValidationError(_("Name at least one recipient."), code="no_recipient")
    _refuse_dead_link(share)
    with transaction.atomic():
        # Each person gets a link of their own (people.py); a withdrawn one is refused.
        persons = [
            people.person_add(share=share, address=to.address, name=to.name)[0] for to in addresses
        ]
        for person in persons:
            people.person_sendable(person)
        rows = [
            _link_queue(share, address, message, sender, person)
            for address, person in zip(addresses, persons, strict=True)
        ]
        queued = [row for row in rows if row is not None]
        deliveries_dispatch([row.pk for row in queued], on_unqueued=on_unqueued)
    return queued


# Why a link cannot be mailed, by status: the recipient would only meet a "gone" page.
DEAD_LINK = {
    ShareStatus.EXPIRED: gettext_lazy("This share has expired: extend it before sending its link."),
    ShareStatus.REVOKED: gettext_lazy(
        "This share was revoked: reinstate it before sending its link."
    ),
    ShareStatus.EXHAUSTED: gettext_lazy(
        "This share has reached its download limit: raise the limit before sending its link."
    ),
}


def _refuse_dead_link(share: Share) -> None:
    status = share.status
    if status != ShareStatus.ACTIVE:
        raise ValidationError(DEAD_LINK[status], code="share_inactive")
    if share.missing_since is not None:
        raise ValidationError(
            _("The file of this share is missing from storage: its link would not work."),
            code="share_missing",
        )


def _link_queue(
    share: Share,
    recipient: Addressee,
    message: str,
    sender: AbstractBaseUser | None,
    person: Recipient | None = None,
) -> Delivery | None:
    """A new row for the recipient; None when an email to them is already on its way.

    The unique constraint on rows on their way settles a race between two staff members
    sending at once: the second insert fails inside its savepoint and counts as on its way.
    """
    on_its_way = Delivery.objects.filter(
        share=share,
        kind=DeliveryKind.LINK,
        recipient__iexact=recipient.address,
        status__in=ON_ITS_WAY,
    )
    if on_its_way.exists():
        return None
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                share=share,
                kind=DeliveryKind.LINK,
                recipient=recipient.address,
                recipient_name=recipient.name,
                message=message,
                sender=sender,
                person=person,
            )
    except IntegrityError:
        return None


def people_remind(*, share: Share, sender: AbstractBaseUser | None = None) -> int:
    """Email their own link again to the active people who have not downloaded yet."""
    with transaction.atomic():
        rows = [
            Delivery.objects.create(
                share=share,
                kind=DeliveryKind.REMINDER,
                recipient=person.address,
                recipient_name=person.name,
                sender=sender,
                person=person,
            )
            for person in people.people_not_downloaded(share)
        ]
        deliveries_dispatch([row.pk for row in rows])
    return len(rows)
