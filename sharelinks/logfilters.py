"""Logging filter that keeps share codes out of every log line."""

import logging
import re

from sharelinks.codes import LINK_PREFIX

# Any run of code-like characters after /s/: a mistyped code is as secret as a real one,
# since it may differ from a live code by one character.
_SHARE_PATH = re.compile(re.escape(LINK_PREFIX) + r"[^/\s\"'?#]+")
REDACTED = f"{LINK_PREFIX}[redacted]"


def redact(text: str) -> str:
    """Replace the code in every /s/<code> path of text."""
    return _SHARE_PATH.sub(REDACTED, text)


class RedactShareCodes(logging.Filter):
    """Rewrite a record's message and arguments so no /s/<code> path survives."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if LINK_PREFIX in message:
            record.msg, record.args = redact(message), None
        return True
