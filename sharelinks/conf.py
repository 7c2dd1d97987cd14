"""The app's settings: SHARELINKS_<NAME> from Django settings over the defaults below.

SETTINGS is the only place a default is written: project/settings.py reads each one from
the environment (SHARELINKS_<NAME>), app_settings falls back to it, and
docs/configuration.md is generated from it (`python -m project.configdoc`). A new setting
is one entry here, then a regenerated page.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from sharelinks.settingtypes import (
    Bool,
    Choice,
    Duration,
    Int,
    Names,
    Origin,
    Rate,
    Setting,
    Str,
    table,
)

SIGV4_MAX_EXPIRES = 604800
DAY = 86400
PRESIGNERS = ("builtin", "botocore")

SETTINGS = table(
    "Links and clicks",
    Setting("BASE_URL", Origin(), "",
            "Public origin of the links in emails and `createshare`; empty: the request's host."),
    # Seconds are plenty: the URL only has to last from the redirect to the first byte.
    Setting("URL_TTL", Int(1, SIGV4_MAX_EXPIRES, "seconds"), 60,
            "Lifetime of the URL presigned on each click (SigV4 allows at most 7 days)."),
    Setting("CREDENTIALS_MARGIN", Int(0, 3600, "seconds"), 30,
            "A click's URL ends this long before the credentials that sign it expire."),
    Setting("URL_TTL_MIN", Int(1, 3600, "seconds"), 5,
            "Fewer usable seconds than this, even after a refresh: the click answers 503."),
    Setting("DEFAULT_LIFETIME", Duration(), timedelta(days=7),
            "How long a new share lives when staff do not say."),
    Setting("MAX_LIFETIME", Duration(), timedelta(days=90),
            "The longest any share may live."),
    # The server's role may read more than staff should publish: naming a bucket here is
    # the operator's decision, not each staff member's.
    Setting("SOURCE_BUCKETS", Names(), (),
            "Buckets besides `AWS_STORAGE_BUCKET_NAME` whose objects staff may share by key."),
    Setting("UPLOAD_PREFIX", Str(), "shares/",
            "Where uploads land in the bucket: `<prefix><random>/<file name>`."),
    Setting("UPLOAD_RETENTION", Duration(), timedelta(days=30),
            "An uploaded file is deleted this long after the last share of it ended "
            "(expired, revoked or used up); files shared by key are never deleted."),
    Setting("VERIFY_OBJECT_ON_CLICK", Bool(), True,
            "HEAD the object before redirecting: a deleted file gets a page, not S3's XML."),
    Setting("VERIFY_OBJECT_CACHE", Int(0, DAY, "seconds"), 900,
            "How long the presence survey's listing of a bucket (every 5 minutes), or a "
            "HEAD's answer kept on the share's row, is trusted by every process: in the "
            "steady state no click makes an S3 request."),
    Setting("USER_AGENT_MAX_LENGTH", Int(0, 256, "characters"), 256,
            "Longest user agent kept on a click row (the column holds 256); the rest is cut."),
    "Uploads from the browser",
    # S3 allows 10,000 parts: files above 10,000 x this size get proportionally bigger parts.
    Setting("UPLOAD_PART_SIZE", Int(5, 5120, "MiB"), 8,
            "Smallest part of a browser upload (S3's minimum is 5 MiB); files bigger than "
            "10,000 parts of it get bigger parts."),
    # A part's PUT must start within it; S3 does not cut off a transfer already under way.
    Setting("UPLOAD_PART_URL_TTL", Int(1, SIGV4_MAX_EXPIRES, "seconds"), 300,
            "Lifetime of each part's presigned PUT, signed just before the part is sent; cut "
            "to the credentials' life like a click's URL."),
    Setting("UPLOAD_FORM_TTL", Int(60, SIGV4_MAX_EXPIRES, "seconds"), 3600,
            "How long the upload page for browsers without JavaScript can be sent (its "
            "presigned POST policy); cut to the credentials' life."),
    Setting("UPLOAD_ABANDON_AFTER", Duration(), timedelta(days=7),
            "Unfinished uploads older than this are aborted by the maintenance job, and an "
            "upload's handle stops working; uploaded files not shared by then must be "
            "uploaded again."),
    "The landing page",
    # A page left open longer shows itself again with a fresh token, spending nothing.
    Setting("FORM_TOKEN_AGE", Int(60, DAY, "seconds"), 1800,
            "How long the landing page's Download button keeps working (its signed token)."),
    # A big download that broke off: the browser's own "Resume" meets an expired URL.
    Setting("RESUME_WINDOW", Int(0, 30 * DAY, "seconds"), DAY,
            "After a counted download, the same browser may fetch the file again this long "
            "without spending another (0: never)."),
    "Personal links",
    # Counted downloads only (scanners and resumptions excluded): a colleague behind the
    # same office gateway is one network; a phone on a carrier network may be several.
    Setting("FORWARD_NETWORKS", Int(2, 1000), 5,
            "A personal link downloaded from at least this many client networks within "
            "`SHARELINKS_FORWARD_WINDOW` is flagged as maybe forwarded; the owner is told."),
    Setting("FORWARD_WINDOW", Int(60, 30 * DAY, "seconds"), DAY,
            "The window of `SHARELINKS_FORWARD_NETWORKS`."),
    Setting("FORWARD_SUSPEND", Bool(), False,
            "Also suspend a flagged person's link until staff reinstate it."),
    "Abuse limits",
    # A person mistyping a link never gets near the guess limit; a scanner does.
    Setting("GUESS_LIMIT", Int(1), 30,
            "Unknown codes one network (/24, /48) may try per window before it gets 429."),
    Setting("GUESS_WINDOW", Int(1, DAY, "seconds"), 600,
            "The window of `SHARELINKS_GUESS_LIMIT`, and the 429's `Retry-After`."),
    # Counted in the database per username and network: nobody elsewhere can lock staff out.
    Setting("LOGIN_FAILURE_LIMIT", Int(1), 10,
            "Wrong staff passwords for one username from one network per window before that "
            "network is refused for it (`manage.py sharelinks_unlock` lifts it)."),
    Setting("LOGIN_FAILURES_PER_USERNAME", Int(1), 50,
            "Wrong passwords for one username from all networks per window before each "
            "network is slowed to one try per `SHARELINKS_LOGIN_SLOWDOWN`."),
    Setting("LOGIN_FAILURE_WINDOW", Int(1, DAY, "seconds"), 900,
            "The window of the two sign-in limits."),
    Setting("LOGIN_SLOWDOWN", Int(1, 3600, "seconds"), 30,
            "Under attack, how long a network that failed waits before its next sign-in try."),
    # Counted in the database per share and network: a cache flush must not reopen guessing.
    Setting("PASSWORD_FAILURES_PER_NETWORK", Int(1), 5,
            "Wrong share passwords from one network per window before it gets 429."),
    Setting("PASSWORD_FAILURES_PER_SHARE", Int(1), 50,
            "Wrong passwords for one share from all networks per window before each "
            "network is slowed to one try per `SHARELINKS_PASSWORD_SLOWDOWN`."),
    Setting("PASSWORD_FAILURE_WINDOW", Int(1, DAY, "seconds"), 900,
            "The window of the two password limits."),
    Setting("PASSWORD_SLOWDOWN", Int(1, 3600, "seconds"), 30,
            "Under attack, how long a network that failed waits before its next try."),
    Setting("PROXY_COUNT", Int(0, 10), 0,
            "Proxies in front of the app appending to `X-Forwarded-For`; 0 trusts only "
            "the connection's address."),
    "Signing",
    # The built-in SigV4 presign is byte-identical to botocore's (a property test proves
    # it) and about 40 times faster; botocore stays as the fallback.
    Setting("PRESIGNER", Choice(*PRESIGNERS), "builtin",
            "Who computes S3 signatures: `builtin` (SigV4 with hmac, dated by the storage's "
            "clock) or `botocore` (`generate_presigned_url`)."),
    Setting("SIGNER", Choice("s3", "cloudfront"), "s3",
            "Who signs the redirect: S3 presigning with the server's credentials, or a "
            "CloudFront key pair."),
    Setting("CLOUDFRONT_DOMAIN", Str(), "",
            "For `cloudfront`: the distribution's domain or CNAME."),
    Setting("CLOUDFRONT_KEY_ID", Str(), "",
            "For `cloudfront`: the id of the public key in the distribution's trusted key group."),
    Setting("CLOUDFRONT_PRIVATE_KEY", Str(), "",
            "For `cloudfront`: the RSA private key as PEM text (`\\n` escapes accepted).",
            secret=True),
    Setting("CLOUDFRONT_PRIVATE_KEY_FILE", Str(), "",
            "For `cloudfront`: or a file holding it (set one of the two)."),
    "Time limits",
    # A click waits on S3 only for the object check (presigning is offline). With the
    # defaults a silent S3 costs a click at most 2 x (2 + 2) s plus botocore's backoff
    # (under 1 s) before the 503 page: docs/timeouts.md has the whole table.
    Setting("S3_CONNECT_TIMEOUT", Int(1, 60, "seconds"), 2,
            "How long a web request waits to connect to S3, per attempt."),
    Setting("S3_READ_TIMEOUT", Int(1, 300, "seconds"), 2,
            "How long a web request waits for each read of S3's answer, per attempt."),
    Setting("S3_ATTEMPTS", Int(1, 10), 2,
            "Attempts of one S3 request from a web process (botocore's standard retries); "
            "background jobs and the doctor wait longer (docs/timeouts.md)."),
    # The one bound that holds when a peer accepts and acknowledges but never answers.
    Setting("CLICK_DEADLINE", Int(0, 300, "seconds"), 10,
            "Longest a short link's request may run in a sync gunicorn worker before it "
            "answers 503 (0: no deadline)."),
    "Email and background work",
    Setting("MAX_RECIPIENTS", Int(1), 20,
            "Most addresses one \"send link\" may name; more looks like a mailing list."),
    Setting("EMAIL_MAX_ATTEMPTS", Int(1, 100), 6,
            "Tries per email before it is marked failed."),
    Setting("EMAIL_RETRY_DELAY", Int(1, DAY, "seconds"), 30,
            "First wait between tries; it doubles (with jitter) up to the maximum."),
    Setting("EMAIL_RETRY_MAX", Int(1, DAY, "seconds"), 1200,
            "Longest wait between tries (see the note on RabbitMQ below)."),
    Setting("MAIL_AFTER_ANSWER", Bool(), True,
            "Publish (or, without a broker, send) the owner's email about a download from a "
            "thread of the web process after the answer, not inside the recipient's request."),
    Setting("OUTBOX_SWEEP_AFTER", Int(0, DAY, "seconds"), 120,
            "Seconds past due before the sweeper publishes a pending email again (0: at once)."),
    Setting("EXPIRY_REMINDER", Duration(), timedelta(days=1),
            "How long before expiry the owner is reminded, once per share."),
    Setting("CLICK_RETENTION_DAYS", Int(1, 36500, "days"), 90,
            "Click rows older than this are deleted; so are the names, addresses and "
            "networks of a share's people once its last click row is gone and it ended "
            "this long ago."),
    Setting("CLICK_PURGE_BATCH", Int(1), 5000,
            "Click rows deleted per statement."),
    Setting("OBJECT_CHECK_BATCH", Int(1), 500,
            "Objects the broken-share check HEADs per run, least recently checked first."),
    Setting("OBJECT_CHECK_RATE", Rate("per second"), 10.0,
            "Most HEADs per second the broken-share check makes."),
)  # fmt: skip

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}
DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}


def configured(name: str) -> Any:
    """SHARELINKS_<name> as set in Django settings, else its default; not checked."""
    return getattr(django_settings, f"SHARELINKS_{name}", DEFAULTS[name])


def problem(name: str) -> str:
    """What is wrong with SHARELINKS_<name>'s value, naming it; "" when it is allowed."""
    return BY_NAME[name].problem(configured(name), f"SHARELINKS_{name}")


class AppSettings:
    """Attribute access to SHARELINKS_* settings, checked once and kept until a setting
    changes (override_settings in tests sends setting_changed): a click reads a dozen of
    them, and checking each on every read was measurable on the hot path.

    A value outside its kind's range raises ImproperlyConfigured naming the setting: the
    environment is checked at start-up, but settings files and override_settings are not.
    """

    def __init__(self) -> None:
        self._checked: set[str] = set()  # the settings kept as attributes

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in BY_NAME:
            raise AttributeError(f"SHARELINKS_{name} is not a sharelinks setting")
        value = configured(name)
        message = BY_NAME[name].problem(value, f"SHARELINKS_{name}")
        if message:
            raise ImproperlyConfigured(message)
        # An attribute from now on: found without calling __getattr__, which Python calls
        # only after a lookup failed with an AttributeError it had to build first.
        setattr(self, name, value)
        self._checked.add(name)
        return value

    def forget(self) -> None:
        """Read every setting afresh on its next use."""
        for name in self._checked:
            delattr(self, name)
        self._checked.clear()


app_settings = AppSettings()


def _forget_on_change(*, setting: str, **kwargs) -> None:
    if setting.startswith("SHARELINKS_"):
        app_settings.forget()


setting_changed.connect(_forget_on_change, dispatch_uid="sharelinks.conf.forget")
