"""Human durations ("90m", "36h", "7d") shared by settings, forms and the command line."""

import re
from datetime import timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PATTERN = re.compile(r"^\s*(\d+)\s*([smhdw])?\s*$", re.IGNORECASE)


class DurationTooLong(ValueError):
    """A well-formed duration beyond what a date can hold (e.g. "9999999999d")."""


def parse_duration(text: str) -> timedelta:
    """Turn "90m", "36h", "7d", "2w" or a bare number of seconds into a timedelta.

    Raises ValueError naming the accepted forms, so callers can show it as is.
    """
    match = _PATTERN.match(str(text))
    if not match:
        raise ValueError(
            f"{text!r} is not a duration: use a number with s, m, h, d or w (e.g. 90m, 36h, 7d)"
        )
    amount, unit = int(match.group(1)), (match.group(2) or "s").lower()
    try:
        return timedelta(**{_UNITS[unit]: amount})
    except OverflowError:
        raise DurationTooLong(f"{text!r} is longer than any date can reach") from None
