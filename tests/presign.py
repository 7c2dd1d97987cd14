"""A presigned-URL verifier: re-derives the SigV4 signature with botocore and checks it.

Local S3 emulators accept URLs that real S3 refuses (wrong signature, SigV2, expired,
missing session token), so every test that makes a presigned URL checks it here the way
S3 would: algorithm, credential scope, date, lifetime, token, signature, disposition.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit, urlunsplit

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


class PresignError(AssertionError):
    """The URL would be refused by real S3; the message says why."""


@dataclass(frozen=True)
class PresignedUrl:
    """What a valid presigned URL says about itself."""

    bucket_and_key: str
    signed_at: datetime
    expires_in: int
    access_key: str
    region: str
    token: str | None
    disposition: str | None
    content_type: str | None

    @property
    def expires_at(self) -> datetime:
        from datetime import timedelta

        return self.signed_at + timedelta(seconds=self.expires_in)


def verify_presigned_url(
    url: str,
    *,
    access_key: str,
    secret_key: str,
    token: str | None = None,
    now: datetime | None = None,
    method: str = "GET",
) -> PresignedUrl:
    """Check url as S3 would at `now` (default: the real clock) for a request of method."""
    parts = urlsplit(url)
    query = {
        name: values[0] for name, values in parse_qs(parts.query, keep_blank_values=True).items()
    }
    if "Signature" in query or "AWSAccessKeyId" in query:
        raise PresignError("SigV2 URL: S3 regions opened since 2014 refuse it")
    if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        raise PresignError(f"algorithm {query.get('X-Amz-Algorithm')!r} is not AWS4-HMAC-SHA256")
    signature = query.pop("X-Amz-Signature", None)
    if not signature:
        raise PresignError("no X-Amz-Signature")
    scope_key, date, region, service, terminator = query["X-Amz-Credential"].split("/")
    if scope_key != access_key:
        raise PresignError(f"signed with access key {scope_key!r}, expected {access_key!r}")
    if service != "s3" or terminator != "aws4_request":
        raise PresignError(f"bad credential scope {query['X-Amz-Credential']!r}")
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if signed_at.strftime("%Y%m%d") != date:
        raise PresignError("credential scope date differs from X-Amz-Date")
    expires_in = int(query["X-Amz-Expires"])
    if not 1 <= expires_in <= 604800:
        raise PresignError(f"X-Amz-Expires={expires_in} is outside 1..604800")
    if query.get("X-Amz-Security-Token") != token:
        raise PresignError(
            f"session token {'missing' if token else 'unexpected'} in the URL"
            if (token is None) != (query.get("X-Amz-Security-Token") is None)
            else "session token differs from the signing credentials'"
        )
    now = now or datetime.now(UTC)
    if now < signed_at.replace(microsecond=0) and (signed_at - now).total_seconds() > 900:
        raise PresignError(f"signed in the future ({signed_at} > {now})")
    if (now - signed_at).total_seconds() > expires_in:
        raise PresignError(f"expired at {signed_at} + {expires_in}s (now {now})")

    # Drop the signature from the raw query: re-encoding would change what was signed.
    raw = "&".join(p for p in parts.query.split("&") if not p.startswith("X-Amz-Signature="))
    unsigned = urlunsplit(parts._replace(query=raw))
    request = AWSRequest(method=method, url=unsigned)
    request.context["timestamp"] = query["X-Amz-Date"]
    auth = S3SigV4QueryAuth(Credentials(access_key, secret_key, token), "s3", region, expires_in)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if expected != signature:
        raise PresignError("signature does not match: S3 would answer 403 SignatureDoesNotMatch")
    return PresignedUrl(
        bucket_and_key=parts.path,
        signed_at=signed_at,
        expires_in=expires_in,
        access_key=scope_key,
        region=region,
        token=query.get("X-Amz-Security-Token"),
        disposition=query.get("response-content-disposition"),
        content_type=query.get("response-content-type"),
    )
