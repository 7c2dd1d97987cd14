"""Recipient addresses as staff paste them: validated, normalised, deduplicated."""

import re
from collections.abc import Iterable

from django.contrib.auth.models import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from sharelinks.conf import app_settings

# One recipient: `Name <address>` (the name may be quoted, as mail programs copy it) or a
# bare address; anything between recipients (commas, semicolons, spaces, lines) separates.
_RECIPIENT = re.compile(r'(?:"[^"]*"\s*|[^,;<>\s"][^,;<>"]*?\s*)?<([^<>]+)>|([^\s,;<>]+)')


def recipients_clean(recipients: str | Iterable[str]) -> list[str]:
    """Addresses from a list or from text separated by commas, semicolons or lines.

    `Name <address>` is accepted as mail programs copy it, and the name dropped. Every bad
    address is named in one ValidationError, so staff fix them all at once and no task is
    ever queued for an address that cannot work.
    """
    if isinstance(recipients, str):
        recipients = [recipients]
    recipients = [
        match.group(1) or match.group(2)
        for text in recipients
        for match in _RECIPIENT.finditer(text)
    ]
    addresses: list[str] = []
    invalid: list[str] = []
    for raw in recipients:
        address = BaseUserManager.normalize_email(raw.strip())
        if not address or address in addresses:
            continue
        try:
            validate_email(address)
        except ValidationError:
            invalid.append(raw.strip())
        else:
            addresses.append(address)
    if invalid:
        raise ValidationError(
            _("Not a valid email address: %(addresses)s"),
            code="invalid_recipient",
            params={"addresses": ", ".join(invalid)},
        )
    if len(addresses) > app_settings.MAX_RECIPIENTS:
        raise ValidationError(
            _("Send to at most %(limit)d addresses at once."),
            code="too_many_recipients",
            params={"limit": app_settings.MAX_RECIPIENTS},
        )
    return addresses
