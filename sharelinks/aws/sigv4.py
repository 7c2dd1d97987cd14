"""SigV4 query-string presigning of S3 GETs: botocore's URL, byte for byte, in microseconds.

botocore's generate_presigned_url re-validates the parameters, re-runs the endpoint rules and
rebuilds the request on every call: about half a millisecond, most of a click's own work.
Only the signature changes from click to click. What depends on the bucket -- scheme, host,
path style, signing region -- still comes from botocore: a dry run of its own presign, stopped
just before it signs, resolves it once per bucket (resolve_endpoint, cached by
BucketEndpoints), and presign_get signs with hmac and hashlib alone.
"""

import hashlib
import hmac
import string
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol
from urllib.parse import parse_qsl, quote, urlsplit

from botocore.auth import SIGNED_HEADERS_BLACKLIST

_ALGORITHM = "AWS4-HMAC-SHA256"
_UNRESERVED = "-_.~"  # botocore's percent_encode leaves only RFC 3986's unreserved characters
_PROBE_KEY = "sharelinks-endpoint-probe"
_PROBE_HANDLER_ID = "sharelinks.aws.sigv4.probe"
_REDIRECT_HANDLER_ID = "sharelinks.aws.sigv4.redirect"
_REDIRECT_STATUSES = frozenset({301, 302, 307, 400})  # what botocore's region redirector acts on


def _percent_table(safe: str) -> dict[int, str]:
    # Every byte to itself or %XX, for str.translate over UTF-8 bytes read as Latin-1:
    # urllib's quote, in one pass of C instead of a Python call per byte.
    keep = set(string.ascii_letters + string.digits + safe)
    return {byte: chr(byte) if chr(byte) in keep else f"%{byte:02X}" for byte in range(256)}


_QUERY_TABLE = _percent_table(_UNRESERVED)  # botocore's percent_encode
_PATH_TABLE = _percent_table(_UNRESERVED + "/")  # the rest serializer's greedy {Key+}


def _quote_path(key: str) -> str:
    return key.encode().decode("latin-1").translate(_PATH_TABLE)


class SigningCredentials(Protocol):
    """botocore's ReadOnlyCredentials, or anything with the same three fields."""

    access_key: str
    secret_key: str
    token: str | None


@dataclass(frozen=True)
class Endpoint:
    """Where one bucket's objects are addressed and how their signatures are scoped."""

    url_prefix: str  # scheme://netloc/path up to the object key
    path_prefix: str  # the path part of url_prefix; S3 signs the path as sent, unnormalised
    host: str  # the Host header the signature covers (lowercase, default port dropped)
    region: str
    service: str
    query: tuple[tuple[str, str], ...] = ()  # encoded parameters botocore adds (none today)


@lru_cache(maxsize=8)
def _signing_key(secret_key: str, day: str, region: str, service: str) -> bytes:
    # Four chained HMACs that change once a day per region: cached. The secret is part of
    # the cache key because role credentials rotate; a few entries cover every live set.
    key = hmac.digest(f"AWS4{secret_key}".encode(), day.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


@lru_cache(maxsize=256)
def encoded(value: str) -> str:
    """value as botocore percent-encodes a query parameter (one-to-one, so encoded forms
    compare as the values do).

    Session tokens run to a kilobyte and stay the same for hours, and a share's file name
    and type come back with each of its clicks: each is encoded once.
    """
    return value.encode().decode("latin-1").translate(_QUERY_TABLE)


def _timestamp(signed_at: datetime) -> str:
    if signed_at.tzinfo is not None:
        signed_at = signed_at.astimezone(UTC)
    d = signed_at  # strftime takes four times as long
    return f"{d.year:04}{d.month:02}{d.day:02}T{d.hour:02}{d.minute:02}{d.second:02}Z"


def presign_get(
    credentials: SigningCredentials,
    endpoint: Endpoint,
    key: str,
    *,
    expires_in: int,
    signed_at: datetime,
    disposition: str | None = None,
    content_type: str | None = None,
) -> str:
    """A presigned GET URL for key, the very string botocore would make at signed_at.

    signed_at is passed in rather than read so that the caller can date the signature by
    the storage's clock: S3 judges X-Amz-Date by its own time, not this server's.
    """
    stamp = _timestamp(signed_at)
    scope = f"{stamp[:8]}/{endpoint.region}/{endpoint.service}/aws4_request"
    # botocore's order: the operation's parameters, then the signature's, then the signature.
    params = list(endpoint.query)
    if disposition is not None:
        params.append(("response-content-disposition", encoded(disposition)))
    if content_type is not None:
        params.append(("response-content-type", encoded(content_type)))
    params += [
        ("X-Amz-Algorithm", _ALGORITHM),
        ("X-Amz-Credential", encoded(f"{credentials.access_key}/{scope}")),
        ("X-Amz-Date", stamp),
        ("X-Amz-Expires", str(expires_in)),
        ("X-Amz-SignedHeaders", "host"),
    ]
    if credentials.token is not None:
        params.append(("X-Amz-Security-Token", encoded(credentials.token)))
    quoted_key = _quote_path(key)
    canonical = _canonical_request(endpoint.path_prefix + quoted_key, params, endpoint.host)
    string_to_sign = f"{_ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical).hexdigest()}"
    signing_key = _signing_key(credentials.secret_key, stamp[:8], endpoint.region, endpoint.service)
    signature = hmac.digest(signing_key, string_to_sign.encode(), "sha256").hex()  # one call
    query = "&".join(f"{name}={value}" for name, value in params)
    return f"{endpoint.url_prefix}{quoted_key}?{query}&X-Amz-Signature={signature}"


def _canonical_request(path: str, params: list[tuple[str, str]], host: str) -> bytes:
    # Names and values are already in their canonical encoding; sorting the pairs sorts by
    # name, then value, as SigV4 asks. Only the host is signed: no header is sent with a URL.
    query = "&".join(f"{name}={value}" for name, value in sorted(params))
    return f"GET\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD".encode()


class _Resolved(Exception):
    """Carries botocore's endpoint out of its presign before anything is signed."""

    def __init__(self, endpoint: Endpoint | None) -> None:
        super().__init__()
        self.endpoint = endpoint


_probing = threading.local()


def _capture(request, signing_name, region_name, signature_version, **kwargs) -> None:
    """before-sign handler: during a probe, report what botocore is about to sign, and stop."""
    if getattr(_probing, "active", False):
        raise _Resolved(_endpoint_from(request, signing_name, region_name, signature_version))


def _endpoint_from(request, signing_name, region_name, signature_version) -> Endpoint | None:
    # The same choices RequestSigner.sign makes after this event, read instead of made.
    signing = request.context.get("signing", {})
    if signature_version != "s3v4-query" or signing.get("request_credentials"):
        return None  # SigV2, SigV4a (multi-region access points), S3 Express: botocore's job
    if signing.get("identity_cache") is not None or request.params or request.data:
        return None
    if any(name.lower() not in SIGNED_HEADERS_BLACKLIST for name in request.headers):
        return None  # a header would be signed, which a browser following a link never sends
    parts = urlsplit(request.url)
    region = signing.get("region") or region_name
    if parts.fragment or not parts.path.endswith(_PROBE_KEY) or not region:
        return None
    path_prefix = parts.path[: -len(_PROBE_KEY)]
    return Endpoint(
        url_prefix=f"{parts.scheme}://{parts.netloc}{path_prefix}",
        path_prefix=path_prefix,
        host=_host_header(parts),
        region=region,
        service=signing.get("signing_name") or signing_name,
        query=_reencoded(parts.query),
    )


def _host_header(parts) -> str:
    # As botocore derives it from the URL: lowercase, IPv6 in brackets, default port dropped.
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != {"http": 80, "https": 443}.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def _reencoded(query: str) -> tuple[tuple[str, str], ...]:
    # botocore decodes the URL's query into a dict and encodes it again before signing.
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(name, value)
    return tuple(
        (quote(n, safe=_UNRESERVED), quote(v, safe=_UNRESERVED)) for n, v in params.items()
    )


def resolve_endpoint(client, bucket: str) -> Endpoint | None:
    """botocore's endpoint for the bucket's objects, from a dry run of its own presign.

    None when botocore would sign otherwise than with SigV4 over the host alone (SigV2,
    SigV4a, S3 Express, an extra header): such URLs are left to botocore. Reads no
    credentials: the dry run stops before signing.
    """
    client.meta.events.register_last(
        "before-sign.s3.GetObject", _capture, unique_id=_PROBE_HANDLER_ID
    )
    _probing.active = True
    try:
        client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": _PROBE_KEY})
    except _Resolved as resolved:
        return resolved.endpoint
    finally:
        _probing.active = False
    return None


class BucketEndpoints:
    """Each bucket's Endpoint for one client: resolved on first use, again after ttl seconds
    and after S3 redirects a request for the bucket (botocore then learns the bucket's real
    region, and its URLs change with it)."""

    def __init__(self, client, *, ttl: float = 300.0, max_buckets: int = 256) -> None:
        self.client = client
        self._ttl = ttl
        self._max_buckets = max_buckets
        self._entries: dict[str, tuple[Endpoint | None, float]] = {}
        # Last, so that botocore's region redirector has updated its cache when this runs.
        client.meta.events.register_last(
            "needs-retry.s3",
            self._forget_redirected,
            unique_id=f"{_REDIRECT_HANDLER_ID}.{id(self)}",
        )

    def get(self, bucket: str) -> Endpoint | None:
        """The bucket's endpoint, or None when botocore must sign its URLs itself."""
        now = time.monotonic()
        entry = self._entries.get(bucket)
        if entry is None or entry[1] <= now:
            if len(self._entries) >= self._max_buckets:
                self._entries = {}
            entry = (resolve_endpoint(self.client, bucket), now + self._ttl)
            self._entries[bucket] = entry
        return entry[0]

    def _forget_redirected(self, request_dict, response=None, **kwargs) -> None:
        if response is None or response[0] is None:
            return
        if response[0].status_code in _REDIRECT_STATUSES:
            bucket = request_dict.get("context", {}).get("s3_redirect", {}).get("bucket")
            self._entries.pop(bucket, None)
