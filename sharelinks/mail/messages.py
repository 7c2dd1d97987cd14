"""The emails themselves: plain text and HTML from templates, one pair per delivery kind.

Only the short link is ever mailed. A presigned URL in a mailbox would be a credential that
outlives its purpose (and dies with the signing role's credentials anyway); the short link
is checked again on every click.
"""

from collections.abc import Callable
from email.utils import formataddr, parseaddr
from typing import TypeVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sharelinks import links
from sharelinks.conf import app_settings
from sharelinks.models import Delivery, DeliveryKind
from sharelinks.templatetags.sharelinks_people import person_name
from sharelinks.templatetags.sharelinks_times import moment

SUBJECTS = {
    DeliveryKind.LINK: _("%(sender)s shared a file with you: %(file)s"),
    DeliveryKind.FIRST_DOWNLOAD: _("%(file)s was downloaded"),
    DeliveryKind.DOWNLOAD: _("%(file)s was downloaded"),
    DeliveryKind.EXPIRY_REMINDER: _("Your link to %(file)s expires soon"),
    DeliveryKind.MISSING: _("The file behind your link to %(file)s is missing"),
    DeliveryKind.FORWARDED: _("%(person)s's link to %(file)s may have been forwarded"),
    DeliveryKind.REMINDER: _("Reminder: %(sender)s shared a file with you: %(file)s"),
}

PERSON_DOWNLOADED = _("%(person)s downloaded %(file)s")

# The download email's first sentence, translated whole by (a person?, when?, from where?):
# languages order its parts differently (Japanese puts the time and the network before the
# verb), so pieces translated apart cannot be joined into one.
DOWNLOADED = {
    (True, True, True): _("%(name)s downloaded %(file)s on %(at)s from the network %(network)s."),
    (True, True, False): _("%(name)s downloaded %(file)s on %(at)s."),
    (True, False, False): _("%(name)s downloaded %(file)s."),
    (False, True, True): _("Someone downloaded %(file)s on %(at)s from the network %(network)s."),
    (False, True, False): _("Someone downloaded %(file)s on %(at)s."),
    (False, False, False): _("Someone downloaded %(file)s."),
}
FILE_HTML = '<strong style="word-break:break-word;">{}</strong>'
DOWNLOAD_KINDS = (DeliveryKind.FIRST_DOWNLOAD, DeliveryKind.DOWNLOAD)
# A digest tells of this many downloads in full and counts the rest: a burst of hundreds
# stays one readable email (and one render), and each share's click log has them all.
DIGEST_SHOWN = 10
T = TypeVar("T")


def _admin_url(delivery: Delivery) -> str:
    """The share's admin page, for owner emails; empty when there is no admin to link to."""
    base = app_settings.BASE_URL.rstrip("/")
    try:
        path = reverse("admin:sharelinks_share_change", args=[delivery.share.pk])
    except NoReverseMatch:
        return ""
    return base + path if base else ""


def context_for(delivery: Delivery) -> dict:
    """What the templates may say: no presigned URL is ever put here."""
    share = delivery.share
    sender = delivery.sender or share.owner
    return {
        "delivery": delivery,
        "share": share,
        "sender_name": person_name(sender),
        "owner_name": person_name(share.owner),
        "owner_email": share.owner.email,
        # A person's emails carry their own link; everything else the share's general one.
        "link": links.share_url(delivery.person or share),
        "size": filesizeformat(share.size) if share.size is not None else "",
        "message": (delivery.message or share.message).strip(),
        "click": delivery.click,
        "person": delivery.person,
        "admin_url": _admin_url(delivery),
        **(_downloaded(delivery) if delivery.kind in DOWNLOAD_KINDS else {}),
    }


def _downloaded(delivery: Delivery) -> dict:
    """The download email's first sentence, as text and as HTML (the file name in bold)."""
    share, person, click = delivery.share, delivery.person, delivery.click
    values = {
        "name": person.label if person else "",
        "file": share.filename,
        "at": moment(click.at, share.time_zone) if click else "",
        "network": (click.client_ip or "") if click else "",
    }
    sentence = str(DOWNLOADED[bool(person), bool(click), bool(values["network"])])
    escaped = {name: conditional_escape(value) for name, value in values.items()}
    escaped["file"] = format_html(FILE_HTML, share.filename)
    return {
        "downloaded": sentence % values,
        "downloaded_html": mark_safe(conditional_escape(sentence) % escaped),  # noqa: S308
    }


def _from_address(delivery: Delivery, sender_name: str) -> str:
    """DEFAULT_FROM_EMAIL, named "<sender> via <site>" on a link, so inboxes show who sent it.

    The address itself stays the site's: sending as the staff member's own address would
    fail SPF/DMARC at the recipient's server.
    """
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if delivery.kind != DeliveryKind.LINK or not sender_name:
        return settings.DEFAULT_FROM_EMAIL
    site = name or "sharelinks"
    sender_name = " ".join(sender_name.split())  # no header injection through a name
    return formataddr((f"{sender_name} via {site}", address))


def message_id(delivery: Delivery) -> str:
    """The same Message-ID on every try of one delivery.

    A worker that dies after the mail server accepted a message but before the row says
    "sent" leaves the send to be tried again; the repeat then carries the first copy's
    Message-ID, so mail programs and the recipient's server can tell it is one message.
    """
    return _message_id(f"delivery.{delivery.pk}", delivery)


def _message_id(name: str, delivery: Delivery) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)
    return f"<sharelinks.{name}.{int(delivery.created_at.timestamp())}@{domain}>"


def language_for(delivery: Delivery) -> str:
    """Recipients read the language staff chose for the share; owners the site's own."""
    if delivery.kind == DeliveryKind.LINK:
        return delivery.share.language
    return settings.LANGUAGE_CODE


def message_for(delivery: Delivery) -> EmailMultiAlternatives:
    """The multipart message for one outbox row, in its reader's language and the share's
    time zone (so email and pages name the same moment alike); Reply-To is the owner."""
    with translation.override(language_for(delivery)):
        return _message(delivery)


def _message(delivery: Delivery) -> EmailMultiAlternatives:
    context = context_for(delivery)
    template = f"sharelinks/email/{delivery.kind}"
    template_subject = SUBJECTS[delivery.kind]
    if delivery.person and delivery.kind in (DeliveryKind.FIRST_DOWNLOAD, DeliveryKind.DOWNLOAD):
        template_subject = PERSON_DOWNLOADED
    subject = template_subject % {
        "sender": context["sender_name"],
        "file": delivery.share.filename,
        "person": delivery.person.label if delivery.person else "",
    }
    return _rendered(
        template,
        context,
        subject=" ".join(subject.split()),  # no header injection through a file name
        from_email=_from_address(delivery, context["sender_name"]),
        to=[_to_address(delivery)],
        reply_to=[delivery.share.owner.email] if delivery.share.owner.email else None,
        headers=_headers(delivery),
    )


def _rendered(template: str, context: dict, **fields) -> EmailMultiAlternatives:
    """The message with its text part and its HTML alternative, from one template pair."""
    message = EmailMultiAlternatives(body=render_to_string(f"{template}.txt", context), **fields)
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def sending_units(
    items: list[T], kind: Callable[[T], str], recipient: Callable[[T], str]
) -> list[list[T]]:
    """The messages a batch of emails becomes, in the batch's order: download emails to one
    address (in any case) go as one digest (digest_for), every other email as its own.

    A burst of downloads (a link posted to a mailing list, a script) then reaches the owner
    as one email instead of a flood, and costs one render instead of one per download. One
    download alone is its own email as ever. Owner emails are all in the site's language
    (language_for), so the address alone decides. Used on outbox rows when sending and on
    (id, kind, address) rows by the worker's fan-out: both put the same emails together.
    """
    units: list[list[T]] = []
    digests: dict[str, list[T]] = {}
    for item in items:
        if kind(item) not in DOWNLOAD_KINDS:
            units.append([item])
            continue
        address = recipient(item).lower()
        if address not in digests:
            digests[address] = []
            units.append(digests[address])
        digests[address].append(item)
    return units


def digest_for(shown: list[Delivery], *, total: int, last_id: int) -> EmailMultiAlternatives:
    """One message for `total` download emails to one address that are sent together
    (sending_units), `shown` the first DIGEST_SHOWN of them (or all, when fewer): a line
    for each (the sentence a download email opens with, the browser, the share's admin
    page), the rest counted, so the rest need no more than their number. Its Message-ID
    names the first and last row (`last_id`), the same on a retry of the same rows."""
    first = shown[0]
    with translation.override(language_for(first)):
        subject = ngettext(
            "%(count)s download of your files", "%(count)s downloads of your files", total
        ) % {"count": total}
        context = {
            "subject": subject,
            "total": total,
            "shown": [_digest_entry(delivery) for delivery in shown[:DIGEST_SHOWN]],
            "rest": max(0, total - DIGEST_SHOWN),
            "browser": _("Browser:"),
            "see_log": _("See the share and its click log"),
        }
        return _rendered(
            "sharelinks/email/digest",
            context,
            subject=subject,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[_to_address(first)],
            reply_to=[first.recipient],
            headers=_headers(first, _message_id(f"digest.{first.pk}-{last_id}", first)),
        )


def _digest_entry(delivery: Delivery) -> dict:
    """A digest's line about one download: only what the line shows, so a digest costs
    one render however many it tells of."""
    return {
        **_downloaded(delivery),
        "agent": delivery.click.user_agent if delivery.click else "",
        "admin_url": _admin_url(delivery),
    }


def _to_address(delivery: Delivery) -> str:
    """`Name <address>` as staff pasted it; formataddr quotes and encodes the name, and a
    name is one line of visible characters (mail.recipients), so it cannot add a header."""
    name = " ".join(delivery.recipient_name.split())
    return formataddr((name, delivery.recipient)) if name else delivery.recipient


def _headers(delivery: Delivery, given_id: str = "") -> dict[str, str]:
    """Message-ID (the delivery's own unless given) and, but on a link, Auto-Submitted."""
    headers = {"Message-ID": given_id or message_id(delivery)}
    if delivery.kind != DeliveryKind.LINK:
        headers["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to robots
    return headers
