"""What `manage.py sharelinks_doctor` finds: credentials, the 7-day trap, S3, the signer, CORS.

Each finding is a line an operator can read; a broken one names its fix. The command only
prints them, so any other entry point (a health page, a task) could ask the same questions.
"""

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from posixpath import basename
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from sharelinks import aws, signing, uploads
from sharelinks.aws import cloudfront
from sharelinks.conf import SIGV4_MAX_EXPIRES, app_settings

SOURCES = {
    "env": "environment variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
    "shared-credentials-file": "the shared credentials file (a profile's keys)",
    "config-file": "the shared config file (a profile's keys)",
    "custom-process": "a profile's credential_process command",
    "assume-role": "AssumeRole, from a profile's role_arn",
    "assume-role-with-web-identity": "AssumeRoleWithWebIdentity (EKS service account, OIDC)",
    "sso": "IAM Identity Center (SSO), from a profile",
    "login": "an AWS console login session, from a profile",
    "container-role": "the container credentials endpoint (ECS task role, EKS Pod Identity)",
    "iam-role": "the EC2 instance profile (instance metadata service)",
    "explicit": "access keys passed in code",
}
ROLE_FIX = (
    "give the server an IAM role (EC2 instance profile, ECS task role, EKS service account) "
    "or set AWS_PROFILE; a non-AWS store needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)
# botocore sources that hold an access key for good (unless a session token comes with it).
LONG_LIVED_SOURCES = {
    "explicit",
    "env",
    "shared-credentials-file",
    "config-file",
    "ec2-credentials-file",
    "boto-config",
}
TRAP = (
    "URLs signed with temporary credentials (role, SSO, AssumeRole) die with them: S3 answers "
    "400 ExpiredToken, whatever X-Amz-Expires says.",
    "So sharelinks hands none out: each click presigns a fresh URL for seconds, within the "
    "credentials' remaining life; the short link lives as long as the share.",
)


@dataclass(frozen=True)
class Finding:
    """One line of the report; fix says what to do, broken makes the command fail."""

    section: str
    label: str
    text: str
    fix: str = ""
    broken: bool = False


def human(seconds: float) -> str:
    """A duration as a person says it: "7 days", "58 min 20 s", "3 h 5 min"."""
    seconds = int(seconds)
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400} days"
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds} s"


def credential_findings(now: datetime) -> tuple[list[Finding], aws.CredentialStatus | None]:
    """Where the credentials come from, whether they expire, and how much life is left."""
    try:
        status = aws.credential_status()
    except aws.StorageUnavailable as err:
        fix = "make the credential source reachable (metadata service, STS, the SSO session)"
        return [Finding("Credentials", "source", str(err), fix=fix, broken=True)], None
    if status is None:
        return [Finding("Credentials", "source", "none found", fix=ROLE_FIX, broken=True)], None
    found = [
        Finding("Credentials", "source", f"{status.method} -- {SOURCES.get(status.method, '')}"),
        Finding("Credentials", "access key", f"...{status.access_key[-4:]}"),
    ]
    if not status.temporary:
        text = "long-lived access key (no session token): a standing secret that never expires"
        return [*found, _long_lived_finding(status, text)], status
    found.append(Finding("Credentials", "kind", "temporary (a session token rides in each URL)"))
    remaining = status.remaining(now)
    if remaining is None:
        text = "not stated by the source (e.g. Lambda): the short URL TTL alone limits each URL"
        return [*found, Finding("Credentials", "expiry", text)], status
    found.append(Finding("Credentials", "expiry", f"{status.expiry:%Y-%m-%d %H:%M:%S %Z}"))
    usable = remaining - app_settings.CREDENTIALS_MARGIN
    if usable < app_settings.URL_TTL_MIN:
        fix = "the source hands out credentials about to expire: check the role's refresh"
        found.append(Finding("Credentials", "remaining", human(remaining), fix=fix, broken=True))
    else:
        found.append(Finding("Credentials", "remaining", human(remaining)))
    return found, status


def _is_amazon_s3() -> bool:
    host = urlsplit(settings.AWS_S3_ENDPOINT_URL or "https://s3.amazonaws.com").hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def _long_lived_finding(status: aws.CredentialStatus, text: str) -> Finding:
    """On Amazon S3 a role does the job without a standing secret: keys are a liability.

    Formerly the system check sharelinks.W003; resolving credentials may call the metadata
    service or STS, which a check run before every management command must not do. Other
    S3-compatible stores (Ceph, MinIO) have no roles to offer, so keys there are no finding.
    """
    if not _is_amazon_s3() or status.method not in LONG_LIVED_SOURCES:
        return Finding("Credentials", "kind", text)
    fix = (
        "run under an IAM role (instance profile, ECS task role, EKS service account) and "
        "remove the keys: each click presigns afresh, so nothing here needs a standing secret"
    )
    return Finding("Credentials", "kind", f"{text} (sharelinks.W003)", fix=fix)


def trap_findings(status: aws.CredentialStatus | None, now: datetime) -> list[Finding]:
    """How long a URL presigned directly for 7 days would really live, and why."""
    section = "A 7-day URL presigned directly"
    if status is None:
        life = "nothing: there are no usable credentials to sign it"
    elif not status.temporary:
        life = "7 days (the SigV4 limit) -- only because a standing secret signs it"
    elif status.remaining(now) is None:
        life = "until the session token expires (not stated here; usually 1 to 12 h), not 7 days"
    else:
        real = min(SIGV4_MAX_EXPIRES, max(0, status.remaining(now)))
        life = f"{human(real)}, when the credentials expire -- not 7 days"
    return [
        Finding(section, "would live", life),
        Finding(section, "the trap", "\n".join(TRAP)),
    ]


def storage_findings(*, credentials_ok: bool = True) -> list[Finding]:
    """Endpoint, region, signature version, addressing style, and whether the bucket answers."""
    found = [Finding("S3", label, text) for label, text in aws.client_description().items()]
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    if not bucket:
        fix = "set AWS_STORAGE_BUCKET_NAME"
        return [*found, Finding("S3", "bucket", "not configured", fix=fix, broken=True)]
    try:
        status, region = aws.bucket_status(bucket)
    except aws.StorageUnavailable as err:
        fix = "check AWS_S3_ENDPOINT_URL (leave it unset for Amazon S3) and the network"
        if not credentials_ok:
            fix = "see Credentials above"
        return [*found, Finding("S3", "bucket", f"{bucket}: {err}", fix=fix, broken=True)]
    answers = {
        200: ("answers", ""),
        404: ("does not exist", "create it, or correct AWS_STORAGE_BUCKET_NAME"),
        403: ("refuses these credentials", "grant s3:ListBucket and s3:GetObject (README)"),
    }
    text, fix = answers.get(status, (f"answers {status}", "see the S3 error above"))
    found.append(Finding("S3", "bucket", f"{bucket} {text}", fix=fix, broken=bool(fix)))
    client_region = aws.client_description()["region"]
    if region and region != client_region:
        text = f"{bucket} is in {region}, but URLs are signed for {client_region}: S3 refuses them"
        fix = f"set AWS_S3_REGION_NAME={region}"
        found.append(Finding("S3", "bucket region", text, fix=fix, broken=True))
    return found


def signer_findings() -> list[Finding]:
    """Who signs the redirect, and whether it can."""
    ttl = app_settings.URL_TTL
    if app_settings.SIGNER != "cloudfront":
        text = f"s3 -- SigV4 presigned, {ttl} s per click, cut to the credentials' life"
        return [Finding("Signer", "signer", text)]
    text = f"cloudfront -- https://{cloudfront.domain()}, key {app_settings.CLOUDFRONT_KEY_ID}"
    try:
        cloudfront.private_key()
    except ImproperlyConfigured as err:
        return [Finding("Signer", "signer", text, fix=str(err), broken=True)]
    return [Finding("Signer", "signer", f"{text}, {ttl} s per click, no STS involved")]


def upload_findings(*, bucket_ok: bool = True) -> list[Finding]:
    """Whether browsers on the admin's origin may PUT parts to the bucket and read their ETag."""
    origin, bucket = app_settings.BASE_URL.rstrip("/"), settings.AWS_STORAGE_BUCKET_NAME
    if not bucket_ok or not origin:
        why = (
            "see S3 above" if not bucket_ok else "SHARELINKS_BASE_URL (the admin's origin) is unset"
        )
        return [Finding("Uploads", "CORS", f"not checked: {why}")]
    try:
        problem = uploads.cors_problem(origin)
    except aws.StorageError as err:
        fix = "grant s3:GetBucketCORS to check it here, or compare it with docs/uploads.md"
        return [Finding("Uploads", "CORS", f"cannot be read: {err}", fix=fix)]
    if not problem:
        return [Finding("Uploads", "CORS", f"allows PUT from {origin} and exposes ETag")]
    rules = json.dumps({"CORSRules": uploads.cors_rules(origin)})
    fix = f"aws s3api put-bucket-cors --bucket {bucket} --cors-configuration '{rules}'"
    return [Finding("Uploads", "CORS", problem, fix=fix, broken=True)]


def check_findings() -> list[Finding]:
    """sharelinks' own system checks, so the report is complete on its own."""
    found = []
    for message in checks.run_checks():
        if (message.id or "").startswith("sharelinks.") and message.level >= checks.WARNING:
            broken = message.level >= checks.ERROR
            found.append(Finding("Checks", message.id, message.msg, message.hint or "", broken))
    return found


def _fetch(url: str) -> tuple[int, bytes, str]:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an HTTP URL: {url[:40]}")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  (checked above)
            return response.status, response.read(), response.headers.get("Content-Disposition")
    except urllib.error.HTTPError as err:
        code = re.search(rb"<Code>([^<]+)</Code>", err.read() or b"")
        return err.code, code.group(1) if code else b"", ""


def round_trip_findings(key: str) -> list[Finding]:
    """Presign the object as a click would, GET it, and compare the bytes with its size."""
    bucket = settings.AWS_STORAGE_BUCKET_NAME

    def finding(text: str, fix: str = "") -> list[Finding]:
        return [Finding("Round trip", "download", f"{key}: {text}", fix=fix, broken=bool(fix))]

    try:
        info = aws.object_head(bucket=bucket, key=key, background=True)
        if info is None:
            return finding(f"no such object in {bucket}", fix=f"check the key {key!r}")
        url = signing.download_url(
            bucket=bucket, key=key, filename=basename(key) or key,
            content_type=info.content_type, expires_in=app_settings.URL_TTL,
        )  # fmt: skip
        status, body, disposition = _fetch(url)
    except (aws.StorageError, OSError, ValueError) as err:
        return finding(str(err), fix="see the findings above")
    if status != 200:
        fix = "check the server clock (NTP), AWS_S3_REGION_NAME and the role's s3:GetObject"
        return finding(f"GET answered {status} {body.decode(errors='replace')}", fix=fix)
    if len(body) != info.size:
        text = f"GET 200 but {len(body)} bytes; the object has {info.size}"
        return finding(text, fix="check what sits between this server and the bucket")
    return finding(f"presigned, GET 200, {len(body)} bytes as stored\n{disposition}")


def examine(*, key: str | None = None) -> list[Finding]:
    """Every finding, in the order the report prints them."""
    now = datetime.now(UTC)
    found, status = credential_findings(now)
    credentials_ok = not any(finding.broken for finding in found)
    found += trap_findings(status, now)
    storage = storage_findings(credentials_ok=credentials_ok)
    bucket_ok = not any(finding.broken for finding in storage)
    found += storage + signer_findings() + upload_findings(bucket_ok=bucket_ok) + check_findings()
    if key:
        found += round_trip_findings(key)
    return found
