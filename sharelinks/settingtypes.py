"""Kinds of settings: how environment text becomes a value, and which values are allowed.

One kind object serves three readers, so a range is written once: project/settings.py
parsing the environment at start-up, sharelinks.conf checking values set in Django
settings on each read, and the reference in docs/configuration.md.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sharelinks.durations import DurationTooLong, parse_duration


class Kind:
    """A parser for environment text, a validator for values, and their description."""

    def parse(self, text: str) -> Any:
        """The value of non-empty, stripped text; ValueError says what was expected."""
        value = self.cast(text)
        problem = self.problem(value)
        if problem:
            raise ValueError(problem)
        return value

    def cast(self, text: str) -> Any:
        return text

    def problem(self, value: Any) -> str:
        """What is wrong with value, or "" when it is allowed."""
        return "" if isinstance(value, str) else "use text"

    def describe(self) -> str:
        """The allowed values, for the reference."""
        return "text"

    def show(self, value: Any) -> str:
        """A default as it would be written in the environment."""
        return str(value)


class Str(Kind):
    """Any text, empty included."""


@dataclass(frozen=True)
class Int(Kind):
    """A whole number from low to high (None: no upper bound); unit says what it counts."""

    low: int = 0
    high: int | None = None
    unit: str = ""

    def cast(self, text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise ValueError("not a whole number") from None

    def problem(self, value: Any) -> str:
        if not isinstance(value, int) or isinstance(value, bool):
            return "not a whole number"
        if value < self.low or (self.high is not None and value > self.high):
            return f"must be {self.describe()}"
        return ""

    def describe(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        if self.high is None:
            return f"{self.low} or more{unit}"
        return f"{self.low} to {self.high}{unit}"


@dataclass(frozen=True)
class Rate(Kind):
    """A number above zero, fractions allowed: zero would mean "never" and divide by it."""

    unit: str = ""

    def cast(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise ValueError("not a number") from None

    def problem(self, value: Any) -> str:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return "" if number and 0 < value < float("inf") else "must be a number above 0"

    def describe(self) -> str:
        return "a number above 0" + (f" ({self.unit})" if self.unit else "")


class Bool(Kind):
    """true or false, in the spellings people type; anything else fails rather than guesses."""

    TRUE = frozenset({"1", "true", "yes", "on"})
    FALSE = frozenset({"0", "false", "no", "off"})

    def cast(self, text: str) -> Any:
        word = text.lower()
        if word in self.TRUE | self.FALSE:
            return word in self.TRUE
        raise ValueError("use true or false")

    def problem(self, value: Any) -> str:
        return "" if isinstance(value, bool) else "use True or False"

    def describe(self) -> str:
        return "true or false"

    def show(self, value: Any) -> str:
        return "true" if value else "false"


@dataclass(frozen=True)
class Duration(Kind):
    """A length of time written 90m, 36h, 7d, 2w or seconds, from low to high.

    Zero would disable what it times; the upper bound keeps "now + it" a real date.
    """

    low: timedelta = timedelta(seconds=1)
    high: timedelta = timedelta(days=36500)

    def cast(self, text: str) -> timedelta:
        try:
            return parse_duration(text)
        except DurationTooLong:
            raise ValueError(f"must be {self.describe()}") from None
        except ValueError:
            raise ValueError(
                "not a duration: use a number with s, m, h, d or w (e.g. 90m, 36h, 7d)"
            ) from None

    def problem(self, value: Any) -> str:
        if not isinstance(value, timedelta):
            return "not a duration (a datetime.timedelta)"
        return "" if self.low <= value <= self.high else f"must be {self.describe()}"

    def describe(self) -> str:
        return f"a duration (90m, 36h, 7d) from {self.show(self.low)} to {self.show(self.high)}"

    def show(self, value: Any) -> str:
        seconds = int(value.total_seconds())
        for suffix, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds and seconds % size == 0:
                return f"{seconds // size}{suffix}"
        return f"{seconds}s"


class Names(Kind):
    """A comma-separated list of names (buckets, hosts); empty means none."""

    def cast(self, text: str) -> list[str]:
        return [item.strip() for item in text.split(",") if item.strip()]

    def problem(self, value: Any) -> str:
        ok = isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)
        return "" if ok else "use a list of names"

    def describe(self) -> str:
        return "comma-separated names"

    def show(self, value: Any) -> str:
        return ",".join(value)


class Choice(Kind):
    """One of a few words, in the case written here; the environment's case does not matter."""

    def __init__(self, *choices: str) -> None:
        self.choices = choices

    def cast(self, text: str) -> str:
        for choice in self.choices:
            if choice.lower() == text.lower():
                return choice
        return text

    def problem(self, value: Any) -> str:
        return "" if value in self.choices else f"use one of: {', '.join(self.choices)}"

    def describe(self) -> str:
        return ", ".join(f"`{choice}`" for choice in self.choices)


_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


class Url(Kind):
    """A service URL (scheme://...), possibly with credentials in it."""

    def problem(self, value: Any) -> str:
        ok = isinstance(value, str) and (value == "" or _URL.match(value))
        return "" if ok else "use a URL such as scheme://host/..."

    def describe(self) -> str:
        return "a URL"


class Origin(Kind):
    """http(s)://host[:port] and nothing after it: links are built by appending paths."""

    def cast(self, text: str) -> str:
        return text.rstrip("/")

    def problem(self, value: Any) -> str:
        if not isinstance(value, str):
            return "use an origin such as https://files.example.com"
        if value == "":
            return ""
        parts = urlsplit(value.rstrip("/"))
        if parts.scheme in ("http", "https") and parts.netloc and not parts.path + parts.query:
            return ""
        return "use an origin such as https://files.example.com (no path)"

    def describe(self) -> str:
        return "`https://host[:port]` or empty"


@dataclass(frozen=True)
class Setting:
    """One variable: its kind, its default (written nowhere else) and a line for the reference.

    default_doc describes a default computed at start-up (a generated key, another
    variable); secret settings are hidden on error pages and never echoed in errors.
    """

    name: str
    kind: Kind
    default: Any
    doc: str
    secret: bool = False
    default_doc: str = ""
    section: str = ""

    def shown_default(self) -> str:
        if self.default_doc:
            return self.default_doc
        text = self.kind.show(self.default) if self.default is not None else ""
        return f"`{text}`" if text else "empty"

    def problem(self, value: Any, name: str = "") -> str:
        """A sentence naming this setting and what is wrong with value, or ""."""
        problem = self.kind.problem(value)
        return f"{self.quote(name or self.name, value)}: {problem}" if problem else ""

    def quote(self, name: str, value: Any) -> str:
        """NAME=value for an error message; a secret's value is never repeated in a log."""
        return f"{name} (value hidden)" if self.secret else f"{name}={value!r}"


def table(*entries: str | Setting) -> tuple[Setting, ...]:
    """Settings in order, each under the heading (a plain string) that precedes it."""
    section, settings = "", []
    for entry in entries:
        if isinstance(entry, str):
            section = entry
        else:
            settings.append(replace(entry, section=section))
    return tuple(settings)


def read_environment(
    settings: Iterable[Setting], environ: Mapping[str, str], prefix: str = ""
) -> tuple[dict[str, Any], list[str]]:
    """Each setting's value from environ (prefix + name), else its default; and the problems.

    Every variable is read before any problem is reported, so an operator fixes all of
    them in one go instead of one start-up at a time.
    """
    values, problems = {}, []
    for setting in settings:
        name = prefix + setting.name
        text = environ.get(name, "").strip()
        if not text:
            values[name] = setting.default
            continue
        try:
            values[name] = setting.kind.parse(text)
        except ValueError as err:
            problems.append(f"{setting.quote(name, text)}: {err}")
    return values, problems
