"""Who is at the other end of a click: their network (never the full address), their user
agent, and whether that agent is a mail scanner or a link previewer rather than a person."""

import functools
import ipaddress
import re
from dataclasses import dataclass

from django.http import HttpRequest

from sharelinks.conf import app_settings

# Agents that fetch links on a person's behalf before (or instead of) the person: mail
# security gateways and chat/link previewers. Their page views are flagged in the click
# log; they never spend a download, since only the landing page's button does.
_SCANNERS = re.compile(
    r"mimecast|proofpoint|barracuda|safelinks|safe links|urldefense|symantec|forcepoint"
    r"|trendmicro|sophos|fireeye|cisco|ironport|zscaler|messagelabs|mailscanner|bingpreview"
    r"|microsoftpreview|skypeuripreview|ms-office|microsoft office|google-safety|googlebot"
    r"|google-read-aloud|slackbot|slack-imgproxy|twitterbot|facebookexternalhit|linkedinbot"
    r"|whatsapp|telegrambot|discordbot|applebot|yahoo! slurp|bingbot|duckduckbot|headlesschrome"
    r"|urlscan|virustotal|preview",
    re.IGNORECASE,
)
_PREFETCH_HEADERS = ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")


@dataclass(frozen=True)
class Visitor:
    """What a click row keeps about the client."""

    network: str | None
    user_agent: str
    scanner: bool


_IPV4_NETWORK = (2**32 - 1) ^ (2**8 - 1)  # /24
_IPV6_NETWORK = (2**128 - 1) ^ (2**80 - 1)  # /48


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting X-Forwarded-For only as far as PROXY_COUNT says."""
    proxies = app_settings.PROXY_COUNT
    if proxies:
        forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [hop for hop in forwarded if hop]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


@functools.lru_cache(maxsize=4096)
def client_network(ip: str | None) -> str | None:
    """The client's address truncated to /24 (IPv4) or /48 (IPv6), or None if unparsable.

    Cached: a recipient's page, its Download and any resumption come from one address, and
    parsing an address is a tenth of what a download costs in Python.
    """
    text = (ip or "").strip()
    # Some proxies append the port: "203.0.113.5:443", "[2001:db8::1]:443".
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.version == 4:
        return str(ipaddress.IPv4Address(int(address) & _IPV4_NETWORK))
    return str(ipaddress.IPv6Address(int(address) & _IPV6_NETWORK))


@functools.lru_cache(maxsize=512)
def is_scanner(user_agent: str) -> bool:
    """Whether the user agent names a known mail scanner or link previewer.

    Cached: a site sees few distinct agents, and searching one for forty names costs more
    than a tenth of what a download costs in Python. The bound keeps memory small however
    many agents a client makes up (gunicorn caps a header at 8 KB).
    """
    return bool(_SCANNERS.search(user_agent))


def is_prefetch(request: HttpRequest) -> bool:
    """A browser's speculative fetch (Sec-Purpose/Purpose: prefetch): never a person's click."""
    return any("prefetch" in request.META.get(name, "").lower() for name in _PREFETCH_HEADERS)


def visitor_from(request: HttpRequest) -> Visitor:
    """The visitor of this request, as the click log keeps it."""
    agent = request.META.get("HTTP_USER_AGENT", "")
    return Visitor(
        network=client_network(client_ip(request)),
        user_agent=agent[: app_settings.USER_AGENT_MAX_LENGTH],
        scanner=is_scanner(agent),
    )
