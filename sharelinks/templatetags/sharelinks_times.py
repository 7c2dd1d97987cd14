"""Times as a recipient reads them: in the share's zone, the zone named, the page's language.

Page and email must agree: with staff in Asia/Tokyo the email said "18:00 JST" while the
410 page said "09:00 UTC" for the same moment. Every time a recipient sees goes through
moment_text: the zone the share was made in, its abbreviation where it has one ("JST",
"CET") or else its UTC offset ("UTC+04:00"), and the active language's date format
("2026年12月2日 18:00 JST", "Dec. 2, 2026, 18:00 JST").
"""

import functools
import zoneinfo
from datetime import date, datetime

from django import template
from django.utils.formats import date_format
from django.utils.translation import get_language

register = template.Library()


def zone_label(moment: datetime) -> str:
    """JST, CET, UTC; or UTC+04:00 where the zone has no abbreviation (only "+04")."""
    name = moment.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def moment_text(when: datetime, zone_name: str) -> str:
    """when in the zone called zone_name (UTC if unknown), dated in the active language."""
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = when.astimezone(zone)
    return f"{_date_text(local.date(), get_language())} {local:%H:%M} {zone_label(local)}"


@functools.lru_cache(maxsize=1024)
def _date_text(day: date, language: str) -> str:
    """The day in the language's DATE_FORMAT (dates only: a time in it would raise).

    Cached: pages and emails name few distinct days, and formatting one walks the format
    character by character (as much as the rest of the landing page's values together).
    """
    return date_format(day, "DATE_FORMAT")


@register.filter
def moment(when: datetime | None, zone_name: str) -> str:
    """{{ share.expires_at|moment:share.time_zone }}"""
    return moment_text(when, zone_name) if when else ""
