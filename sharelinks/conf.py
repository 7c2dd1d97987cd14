"""The app's settings: SHARELINKS_<NAME> from Django settings over documented defaults."""

from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS: dict[str, Any] = {
    # Absolute origin of the short links shown to staff and mailed to recipients
    # ("https://files.example.com"); empty means "the host of the current request".
    "BASE_URL": "",
    # Lifetime in seconds of the URL presigned on each click. It only has to last from the
    # redirect to the first byte, so seconds are plenty; SigV4 caps it at 604800 (7 days).
    "URL_TTL": 60,
    # A presigned URL must not outlive the credentials that sign it: its lifetime is cut to
    # their remaining life less CREDENTIALS_MARGIN seconds (clock skew, the redirect, a slow
    # first byte). When fewer than URL_TTL_MIN seconds would be left even after botocore's
    # refresh, the click answers 503 with Retry-After and is not counted.
    "CREDENTIALS_MARGIN": 30,
    "URL_TTL_MIN": 5,
    # How the S3 URL of a click is signed: "builtin" (sharelinks.aws.sigv4: botocore's own
    # URL, byte for byte, in a fraction of its time, dated by the storage's clock as learned
    # from S3's answers) or "botocore" (its generate_presigned_url, dated by this server's
    # clock): the fallback should a botocore upgrade ever change what it signs.
    "PRESIGNER": "builtin",
    # Who signs the URL a click is redirected to: "s3" (a SigV4 presigned S3 URL, signed
    # with the server's AWS credentials) or "cloudfront" (a CloudFront signed URL, signed
    # with a CloudFront key pair: no AWS credentials, so no STS, in the URL at all).
    "SIGNER": "s3",
    # For "cloudfront": the distribution's domain (d111111abcdef8.cloudfront.net or a
    # CNAME), the public key's id in its trusted key group, and the private key as PEM text
    # (CLOUDFRONT_PRIVATE_KEY, e.g. from a secret store via the environment) or a file.
    "CLOUDFRONT_DOMAIN": "",
    "CLOUDFRONT_KEY_ID": "",
    "CLOUDFRONT_PRIVATE_KEY": "",
    "CLOUDFRONT_PRIVATE_KEY_FILE": "",
    # How long a new share lives when staff do not say, and the most any share may live.
    "DEFAULT_LIFETIME": timedelta(days=7),
    "MAX_LIFETIME": timedelta(days=90),
    # Buckets besides AWS_STORAGE_BUCKET_NAME whose objects staff may share by key. The
    # server's role may read more than staff should publish: naming a bucket here is the
    # operator's decision, not each staff member's.
    "SOURCE_BUCKETS": (),
    # Where uploads land in the bucket: <prefix><random>/<original name>.
    "UPLOAD_PREFIX": "shares/",
    # Unknown or malformed codes one network (/24, /48) may try per window before every
    # link answers 429 for it; a person mistyping a link never gets near this.
    "GUESS_LIMIT": 30,
    "GUESS_WINDOW": 600,
    # Wrong staff passwords for one username within the window before it is refused
    # until the window has passed (sharelinks.auth).
    "LOGIN_FAILURE_LIMIT": 10,
    "LOGIN_FAILURE_WINDOW": 900,
    # How many reverse proxies (load balancers) append to X-Forwarded-For in front of the
    # app; 0 trusts only REMOTE_ADDR. The client is the entry that many places from the end.
    "PROXY_COUNT": 0,
    # HEAD the object before redirecting, so a deleted file gets the "no longer available"
    # page instead of S3's XML error; a found object is remembered for VERIFY_OBJECT_CACHE
    # seconds, so most clicks make no S3 request.
    "VERIFY_OBJECT_ON_CLICK": True,
    "VERIFY_OBJECT_CACHE": 300,
    # How long the landing page's Download button keeps working (its signed form token):
    # a page left open longer shows itself again with a fresh token, spending nothing.
    "FORM_TOKEN_AGE": 1800,
    # How long after a counted download the same browser may fetch the file again without
    # spending another download (a big download that broke off): the receipt cookie's life.
    "RESUME_WINDOW": 86400,
    # Wrong share passwords: per share and client network within the window before 429;
    # past the share-wide count, each network may try once per PASSWORD_SLOWDOWN seconds.
    "PASSWORD_FAILURES_PER_NETWORK": 5,
    "PASSWORD_FAILURES_PER_SHARE": 50,
    "PASSWORD_FAILURE_WINDOW": 900,
    "PASSWORD_SLOWDOWN": 30,
    # Longest user agent kept on a click row; the rest is cut, never rejected.
    "USER_AGENT_MAX_LENGTH": 256,
    # -- email and background work (sharelinks.mail, sharelinks.maintenance) --
    # How long before expiry the owner is reminded, once per share. Shares that live no
    # longer than this are not reminded: their owner just made them.
    "EXPIRY_REMINDER": timedelta(days=1),
    # Click rows older than this many days are deleted, in batches of CLICK_PURGE_BATCH.
    "CLICK_RETENTION_DAYS": 90,
    "CLICK_PURGE_BATCH": 5000,
    # Most addresses one "send link" may name; more looks like a mailing list, not a share.
    "MAX_RECIPIENTS": 20,
    # An email is tried this many times in all, the waits doubling from EMAIL_RETRY_DELAY
    # seconds (with jitter) up to EMAIL_RETRY_MAX; then it is marked failed.
    "EMAIL_MAX_ATTEMPTS": 6,
    "EMAIL_RETRY_DELAY": 30,
    "EMAIL_RETRY_MAX": 1200,
    # The sweeper re-dispatches emails still pending this many seconds after they were due:
    # long enough for the normal dispatch (on commit, or a retry) to have happened first.
    "OUTBOX_SWEEP_AFTER": 120,
    # The broken-share check HEADs at most OBJECT_CHECK_BATCH objects per run, at most
    # OBJECT_CHECK_RATE per second, least recently checked first.
    "OBJECT_CHECK_BATCH": 500,
    "OBJECT_CHECK_RATE": 10.0,
}

SIGV4_MAX_EXPIRES = 604800
PRESIGNERS = ("builtin", "botocore")


class AppSettings:
    """Attribute access to SHARELINKS_* settings, read on each access so tests can override."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"SHARELINKS_{name} is not a sharelinks setting")
        value = getattr(django_settings, f"SHARELINKS_{name}", DEFAULTS[name])
        if name == "URL_TTL" and not (isinstance(value, int) and 1 <= value <= SIGV4_MAX_EXPIRES):
            raise ImproperlyConfigured(
                f"SHARELINKS_URL_TTL={value!r}: use whole seconds from 1 to {SIGV4_MAX_EXPIRES}"
            )
        return value


app_settings = AppSettings()
