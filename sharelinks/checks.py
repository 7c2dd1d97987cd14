"""System checks (sharelinks.E0xx / W0xx): misconfiguration named at `manage.py check`.

Checks read settings only and make no network call: they run before every management
command. Whatever needs S3, STS or the metadata service belongs to `sharelinks_doctor`.
"""

from django.conf import settings
from django.core import checks

from sharelinks import (
    conf,
    mailchecks,  # noqa: F401  (registers the email checks too)
    signing,
)
from sharelinks.conf import SIGV4_MAX_EXPIRES

# A presigned URL only has to last from the redirect to the first byte; an hour is already
# generous, and a longer one is a link that works for anyone it is forwarded to.
URL_TTL_WARN_ABOVE = 3600


@checks.register(checks.Tags.compatibility)
def check_bucket(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Without a bucket nothing can be uploaded or shared."""
    if settings.AWS_STORAGE_BUCKET_NAME:
        return []
    return [
        checks.Error(
            "No S3 bucket is configured.",
            hint="Set AWS_STORAGE_BUCKET_NAME to the bucket that holds the shared files.",
            id="sharelinks.E001",
        )
    ]


# Settings whose bad values had check ids of their own before every setting was checked.
OWN_CHECK_IDS = {"URL_TTL": "sharelinks.E002", "SIGNER": "sharelinks.E006"}


@checks.register(checks.Tags.compatibility)
def check_setting_values(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every SHARELINKS_* value within its kind's range, as the environment is at start-up.

    Values from a settings file or override_settings skip the environment's parsing; the
    app would raise ImproperlyConfigured on first use, so say it here first.
    """
    return [
        checks.Error(
            message,
            hint=f"{setting.doc} Use {setting.kind.describe()}; the default is "
            f"{setting.shown_default()}.",
            id="sharelinks.E009",
        )
        for setting in conf.SETTINGS
        if setting.name not in OWN_CHECK_IDS and (message := conf.problem(setting.name))
    ]


@checks.register(checks.Tags.compatibility)
def check_url_ttl(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The per-click URL must be valid SigV4 (1..604800 s) and should be short."""
    ttl = conf.configured("URL_TTL")
    if conf.problem("URL_TTL"):
        return [
            checks.Error(
                f"SHARELINKS_URL_TTL={ttl!r} is outside 1..{SIGV4_MAX_EXPIRES} seconds.",
                hint="SigV4 URLs live at most 7 days; a click only needs seconds (default 60).",
                id="sharelinks.E002",
            )
        ]
    return []


@checks.register(checks.Tags.compatibility)
def check_base_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Links made outside a request (emails, createshare) need the public origin."""
    if conf.configured("BASE_URL"):
        return []
    return [
        checks.Warning(
            "SHARELINKS_BASE_URL is not set.",
            hint="Set it to the public origin (https://files.example.com); mailed links and "
            "`manage.py createshare` need it.",
            id="sharelinks.W001",
        )
    ]


@checks.register(checks.Tags.compatibility)
def check_url_ttl_short(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A valid but long per-click URL keeps working wherever it is forwarded."""
    ttl = conf.configured("URL_TTL")
    if not conf.problem("URL_TTL") and ttl > URL_TTL_WARN_ABOVE:
        return [
            checks.Warning(
                f"SHARELINKS_URL_TTL={ttl} seconds is long for a URL made on each click.",
                hint="The URL only has to last from the redirect to the first byte: 60 s is "
                f"plenty, and anything over {URL_TTL_WARN_ABOVE} s outlives the click's purpose.",
                id="sharelinks.W002",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_signature_version(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """SigV2 URLs are refused by every region opened since 2014 and cannot carry a token."""
    version = getattr(settings, "AWS_S3_SIGNATURE_VERSION", "s3v4")
    if version == "s3v4":
        return []
    return [
        checks.Error(
            f"AWS_S3_SIGNATURE_VERSION={version!r}: presigned URLs must be SigV4.",
            hint='Set AWS_S3_SIGNATURE_VERSION = "s3v4".',
            id="sharelinks.E003",
        )
    ]


@checks.register(checks.Tags.security)
def check_querystring_auth(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Without query-string auth django-storages hands out unsigned, permanent URLs."""
    if getattr(settings, "AWS_QUERYSTRING_AUTH", True):
        return []
    return [
        checks.Error(
            "AWS_QUERYSTRING_AUTH is False: S3 URLs would be unsigned.",
            hint="Set AWS_QUERYSTRING_AUTH = True; an unsigned URL works for anyone, forever, "
            "unless the bucket refuses it.",
            id="sharelinks.E004",
        )
    ]


@checks.register(checks.Tags.security)
def check_custom_domain(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """django-storages builds unsigned URLs on a custom domain unless CloudFront signs them."""
    if (
        not getattr(settings, "AWS_S3_CUSTOM_DOMAIN", None)
        or conf.configured("SIGNER") == "cloudfront"
    ):
        return []
    return [
        checks.Error(
            f"AWS_S3_CUSTOM_DOMAIN={settings.AWS_S3_CUSTOM_DOMAIN!r} without CloudFront signing: "
            "URLs on it would be unsigned.",
            hint="Unset AWS_S3_CUSTOM_DOMAIN, or serve files through CloudFront with "
            "SHARELINKS_SIGNER=cloudfront and SHARELINKS_CLOUDFRONT_DOMAIN.",
            id="sharelinks.E005",
        )
    ]


@checks.register(checks.Tags.compatibility)
def check_signer(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The signer must be known and, for CloudFront, complete and loadable."""
    signer = conf.configured("SIGNER")
    if conf.problem("SIGNER"):
        return [
            checks.Error(
                f"SHARELINKS_SIGNER={signer!r} is not a signer.",
                hint=f"Use one of: {', '.join(conf.BY_NAME['SIGNER'].kind.choices)}.",
                id="sharelinks.E006",
            )
        ]
    cloudfront = [
        f"CLOUDFRONT_{name}" for name in ("DOMAIN", "KEY_ID", "PRIVATE_KEY", "PRIVATE_KEY_FILE")
    ]
    if signer != "cloudfront" or any(conf.problem(name) for name in cloudfront):
        return []  # sharelinks.E009 names a value of the wrong kind
    missing = [
        f"SHARELINKS_CLOUDFRONT_{name}"
        for name in ("DOMAIN", "KEY_ID")
        if not conf.configured(f"CLOUDFRONT_{name}")
    ]
    if missing:
        return [
            checks.Error(
                f"SHARELINKS_SIGNER=cloudfront but {' and '.join(missing)} not set.",
                hint="Set the distribution's domain and the id of the public key in its trusted "
                "key group.",
                id="sharelinks.E007",
            )
        ]
    problem = signing.cloudfront_key_problem()
    if problem:
        return [
            checks.Error(
                f"The CloudFront private key cannot be used: {problem}",
                hint="Give the RSA private key (PEM) in SHARELINKS_CLOUDFRONT_PRIVATE_KEY or a "
                "readable file in SHARELINKS_CLOUDFRONT_PRIVATE_KEY_FILE.",
                id="sharelinks.E008",
            )
        ]
    return []


@checks.register(checks.Tags.compatibility)
def check_lifetimes(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A default lifetime beyond the maximum makes every share saved without an expiry fail."""
    default, longest = conf.configured("DEFAULT_LIFETIME"), conf.configured("MAX_LIFETIME")
    if conf.problem("DEFAULT_LIFETIME") or conf.problem("MAX_LIFETIME") or default <= longest:
        return []
    return [
        checks.Error(
            f"SHARELINKS_DEFAULT_LIFETIME ({default}) is longer than SHARELINKS_MAX_LIFETIME "
            f"({longest}).",
            hint="Shares made without an expiry (the admin's initial value, createshare without "
            "--expires) would be refused: lower the default or raise the maximum.",
            id="sharelinks.E010",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_shared_cache(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Limits counted in a per-process cache multiply with the number of web processes."""
    backend = settings.CACHES["default"]["BACKEND"]
    if not backend.endswith(("LocMemCache", "DummyCache")):
        return []
    return [
        checks.Warning(
            "The cache is kept inside each web process: every process counts wrong staff "
            "passwords and guessed codes on its own.",
            hint="Set CACHE_URL=redis://... so the sign-in lock and the guess limit hold "
            "across processes and hosts (a single process may silence sharelinks.W006).",
            id="sharelinks.W006",
        )
    ]
