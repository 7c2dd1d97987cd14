"""Logging filter that keeps share codes out of every log line.

A code is a bearer secret, and it reaches a log by more spellings than /s/<code>: a
request line as the client sent it (/S/<code>, /s//<code>, /%73/<code>, which Django or a
proxy may still resolve), a traceback, or the admin's search (?q=<code>). gunicorn's own
error and access logs go through this filter too (project/gunicorn_conf.py).
"""

import logging
import re

from sharelinks.codes import LINK_PREFIX


def _any_spelling(text: str) -> str:
    # Each character as itself (any case) or percent-encoded (either case of its letter).
    options = []
    for char in text:
        encoded = {f"%{ord(c):02x}" for c in {char.lower(), char.upper()}}
        options.append("(?:" + "|".join([re.escape(char), *sorted(encoded)]) + ")")
    return "".join(options)


_SEGMENT = LINK_PREFIX.strip("/")
# The prefix in any spelling, then the rest of the path: a mistyped code is as secret as a
# real one (it may differ from a live code by one character), and a path such as
# /s/./<code> or /s/x/../<code> still carries one after its first segment.
_SHARE_PATH = re.compile(rf"(/{_any_spelling(_SEGMENT)}(?:/|%2f))[^\s\"'?#]+", re.IGNORECASE)
# The admin's search box (?q=) and any parameter named after a code (?share__code=...).
_CODE_PARAMETER = re.compile(r"([?&](?:q|[^=&\s\"']*code[^=&\s\"']*)=)[^&\s\"'#]+", re.IGNORECASE)
REDACTED = f"{LINK_PREFIX}[redacted]"
_HIDDEN = "[redacted]"


def redact(text: str) -> str:
    """Replace the code in every share path of text, and every searched-for value."""
    text = _SHARE_PATH.sub(lambda match: match.group(1) + _HIDDEN, text)
    return _CODE_PARAMETER.sub(lambda match: match.group(1) + _HIDDEN, text)


def _mentions_codes(text: str) -> bool:
    return bool(_SHARE_PATH.search(text) or _CODE_PARAMETER.search(text))


class RedactShareCodes(logging.Filter):
    """Rewrite a record's message, arguments and traceback so no share code survives."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _mentions_codes(message):
            record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            # Formatted once here, as the formatter would, so the text can be redacted.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and _mentions_codes(record.exc_text):
            record.exc_text = redact(record.exc_text)
        if record.stack_info and _mentions_codes(record.stack_info):
            record.stack_info = redact(record.stack_info)
        return True
