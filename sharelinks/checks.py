"""System checks (sharelinks.E0xx / W0xx): misconfiguration named at `manage.py check`."""

from django.conf import settings
from django.core import checks

from sharelinks.conf import SIGV4_MAX_EXPIRES, app_settings


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
