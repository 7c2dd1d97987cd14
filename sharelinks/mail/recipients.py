"""Recipient addresses as staff paste them: validated, normalised, deduplicated, names kept.

The text comes from a form field anyone with staff access can fill, so it is read in one
pass over its characters (no regular expression that could backtrack) and refused past a
length that MAX_RECIPIENTS addresses never need.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formataddr

from django.contrib.auth.models import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from sharelinks.conf import app_settings
from sharelinks.disposition import visible

# Room for one recipient as mail programs copy it: an address (at most 254 characters), a
# display name and the separators. The text limit is this times MAX_RECIPIENTS.
CHARS_PER_RECIPIENT = 400
NAME_MAX_LENGTH = 200
SEPARATORS = ",;\r\n"


@dataclass(frozen=True)
class Addressee:
    """One address, and the display name it was pasted with ("" when none)."""

    address: str
    name: str = ""

    def __str__(self) -> str:
        """`Name <address>`, quoted and encoded as a header needs it (formataddr)."""
        return formataddr((self.name, self.address)) if self.name else self.address


def text_limit() -> int:
    """The most characters of pasted recipients read at all."""
    return app_settings.MAX_RECIPIENTS * CHARS_PER_RECIPIENT


def _name_clean(raw: str) -> str:
    """A display name fit for a header: no quotes around it, no control characters."""
    name = raw.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1]
    return " ".join(visible(name).split())[:NAME_MAX_LENGTH]


def _read_until(text: str, start: int, end: str) -> int:
    """The index of `end` at or after start, or len(text) when it never comes."""
    found = text.find(end, start)
    return len(text) if found < 0 else found


def _word_end(text: str, start: int) -> int:
    """Where the word at start ends; a quoted name may hold separators (`"Keller, Maria"`)."""
    stop, length = start, len(text)
    if text[start] == '"':
        stop = _read_until(text, start + 1, '"') + 1
    while stop < length and not (
        text[stop].isspace() or text[stop] in SEPARATORS or text[stop] in '<"'
    ):
        stop += 1
    return min(stop, length)


def _entries(text: str) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    """(where, name, address) and the pieces that are neither, as typed (where, text); one pass.

    Words before `<address>` are its name; a word with an @ outside brackets is an address
    of its own; other words left over between separators are reported as typed.
    """
    found: list[tuple[int, str, str]] = []
    rejected: list[tuple[int, str]] = []
    pending: list[tuple[int, int]] = []  # spans of the words since the last address

    def flush() -> None:
        run: list[tuple[int, int]] = []
        for span in [*pending, None]:
            if span is None or "@" in text[span[0] : span[1]]:
                if run:  # words without @ that named nothing, kept as one piece
                    rejected.append((run[0][0], text[run[0][0] : run[-1][1]]))
                    run = []
                if span is not None:
                    found.append((span[0], "", text[span[0] : span[1]]))
            else:
                run.append(span)
        pending.clear()

    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char in SEPARATORS:
            flush()
            index += 1
        elif char.isspace():
            index += 1
        elif char == "<":
            close = _read_until(text, index + 1, ">")
            start = pending[0][0] if pending else index
            name = text[start : pending[-1][1]] if pending else ""
            pending.clear()
            if close == length:
                rejected.append((start, text[start:].strip()))
            else:
                found.append((start, _name_clean(name), text[index + 1 : close].strip()))
            index = close + 1
        else:
            stop = _word_end(text, index)
            pending.append((index, stop))
            index = stop
    flush()
    return found, rejected


def recipients_clean(recipients: str | Iterable[str | Addressee]) -> list[Addressee]:
    """Recipients from a list or from text separated by commas, semicolons, spaces or lines.

    `Name <address>` is accepted as mail programs copy it, and the name kept for the To:
    header. Addresses that differ only in case are one recipient. Every bad entry is named
    as it was typed, in one ValidationError, so staff fix them all at once and no task is
    ever queued for an address that cannot work.
    """
    items = [recipients] if isinstance(recipients, str) else list(recipients)
    given = [(-1, item.name, item.address) for item in items if isinstance(item, Addressee)]
    text = "\n".join(item for item in items if not isinstance(item, Addressee))
    if len(text) > text_limit():
        raise ValidationError(
            _("That is more text than %(count)d addresses need: paste at most %(limit)d "
              "characters (this is %(length)d)."),
            code="recipients_too_long",
            params={"count": app_settings.MAX_RECIPIENTS, "limit": text_limit(),
                    "length": len(text)},
        )  # fmt: skip
    found, invalid = _entries(text)
    chosen: dict[str, Addressee] = {}
    for where, name, raw in given + found:
        address = BaseUserManager.normalize_email(raw)
        try:
            validate_email(address)
        except ValidationError:
            invalid.append((where, raw))
            continue
        chosen.setdefault(address.casefold(), Addressee(address, name))
    if invalid:
        raise ValidationError(
            _("Not a valid email address: %(addresses)s"),
            code="invalid_recipient",
            params={"addresses": ", ".join(typed for _where, typed in sorted(invalid))},
        )
    if len(chosen) > app_settings.MAX_RECIPIENTS:
        raise ValidationError(
            _("Send to at most %(limit)d addresses at once."),
            code="too_many_recipients",
            params={"limit": app_settings.MAX_RECIPIENTS},
        )
    return list(chosen.values())
