"""Times as a recipient reads them: in the share's zone, the zone named, the page's language.

Page and email must agree: with staff in Asia/Tokyo the email said "18:00 JST" while the
410 page said "09:00 UTC" for the same moment. Every time a recipient sees goes through
moment_text: the zone the share was made in, its abbreviation where it has one ("JST",
"CET") or else its UTC offset ("UTC+04:00"), and the active language's date format
("2026年12月2日 18:00 JST", "Dec. 2, 2026, 18:00 JST").
"""

import zoneinfo
from datetime import datetime

from django import template
from django.utils.formats import date_format

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
    return f"{date_format(local, 'DATE_FORMAT')} {local:%H:%M} {zone_label(local)}"


@register.filter
def moment(when: datetime | None, zone_name: str) -> str:
    """{{ share.expires_at|moment:share.time_zone }}"""
    return moment_text(when, zone_name) if when else ""
