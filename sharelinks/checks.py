"""System checks (sharelinks.E0xx / W0xx): misconfiguration named at `manage.py check`.

Checks read settings only and make no network call: they run before every management
command. Whatever needs S3, STS or the metadata service belongs to `sharelinks_doctor`.
"""

from django.conf import settings
from django.core import checks

from sharelinks import signing
from sharelinks.conf import PRESIGNERS, SIGV4_MAX_EXPIRES, app_settings

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


@checks.register(checks.Tags.compatibility)
def check_url_ttl(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The per-click URL must be valid SigV4 (1..604800 s) and should be short."""
    ttl = getattr(settings, "SHARELINKS_URL_TTL", 60)
    if not isinstance(ttl, int) or not 1 <= ttl <= SIGV4_MAX_EXPIRES:
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
    if app_settings.BASE_URL:
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
    ttl = getattr(settings, "SHARELINKS_URL_TTL", 60)
    if isinstance(ttl, int) and URL_TTL_WARN_ABOVE < ttl <= SIGV4_MAX_EXPIRES:
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
    if not getattr(settings, "AWS_S3_CUSTOM_DOMAIN", None) or app_settings.SIGNER == "cloudfront":
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
    signer = app_settings.SIGNER
    if signer not in signing.SIGNERS:
        return [
            checks.Error(
                f"SHARELINKS_SIGNER={signer!r} is not a signer.",
                hint=f"Use one of: {', '.join(signing.SIGNERS)}.",
                id="sharelinks.E006",
            )
        ]
    if signer != "cloudfront":
        return []
    missing = [
        f"SHARELINKS_CLOUDFRONT_{name}"
        for name in ("DOMAIN", "KEY_ID")
        if not getattr(app_settings, f"CLOUDFRONT_{name}")
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
def check_presigner(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The S3 presigner must be one there is: otherwise every click answers 503."""
    presigner = app_settings.PRESIGNER
    if presigner in PRESIGNERS:
        return []
    return [
        checks.Error(
            f"SHARELINKS_PRESIGNER={presigner!r} is not a presigner.",
            hint=f"Use one of: {', '.join(PRESIGNERS)}.",
            id="sharelinks.E009",
        )
    ]


# Backends that keep mail on this machine: nothing to wait for, so sending in-process is fine.
LOCAL_EMAIL_BACKENDS = {
    f"django.core.mail.backends.{name}.EmailBackend"
    for name in ("console", "locmem", "filebased", "dummy")
}


@checks.register(checks.Tags.compatibility)
def check_mail_without_broker(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Without a broker each email is sent inside the request that caused it.

    A click or a saved share then waits for the mail server, up to EMAIL_TIMEOUT per
    email when it hangs: fine for `make run` with the console backend, not for real mail.
    """
    if getattr(settings, "CELERY_BROKER_URL", None):
        return []
    if settings.EMAIL_BACKEND in LOCAL_EMAIL_BACKENDS:
        return []
    return [
        checks.Warning(
            f"EMAIL_BACKEND={settings.EMAIL_BACKEND!r} without CELERY_BROKER_URL: emails are "
            "sent inside web requests.",
            hint="Set CELERY_BROKER_URL to Redis or RabbitMQ and run a worker and beat; until "
            "then a slow mail server holds clicks and saves for up to EMAIL_TIMEOUT per email.",
            id="sharelinks.W004",
        )
    ]
