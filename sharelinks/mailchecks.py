"""System checks of the email settings (sharelinks.W004, W005, E011, E012).

Like every check they read settings only: whether the mail server answers is not theirs
to ask.
"""

from django.conf import settings
from django.core import checks

# Backends that keep mail on this machine: nothing to wait for, so sending in-process is fine.
LOCAL_EMAIL_BACKENDS = {
    f"django.core.mail.backends.{name}.EmailBackend"
    for name in ("console", "locmem", "filebased", "dummy")
}


@checks.register(checks.Tags.compatibility)
def check_mail_without_broker(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Without a broker each email is sent by the web process that caused it.

    A saved share then waits for the mail server, up to EMAIL_TIMEOUT per email when it
    hangs (a click's email waits in the web process's mail thread instead): fine for
    `make run` with the console backend, not for real mail.
    """
    if getattr(settings, "CELERY_BROKER_URL", None):
        return []
    if settings.EMAIL_BACKEND in LOCAL_EMAIL_BACKENDS:
        return []
    return [
        checks.Warning(
            f"EMAIL_BACKEND={settings.EMAIL_BACKEND!r} without CELERY_BROKER_URL: emails are "
            "sent by the web processes.",
            hint="Set CELERY_BROKER_URL to Redis or RabbitMQ and run a worker and beat; until "
            "then a slow mail server holds staff saves (and the web processes' mail threads) for "
            "up to EMAIL_TIMEOUT per email.",
            id="sharelinks.W004",
        )
    ]


def _keeps_mail_local() -> bool:
    """A backend that prints, files, keeps or drops every email, outside development."""
    return not settings.DEBUG and settings.EMAIL_BACKEND in LOCAL_EMAIL_BACKENDS


LOCAL_EMAIL_HINT = (
    "Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST (or another "
    "real backend); the console default is for `make run`."
)


@checks.register(checks.Tags.compatibility)
def check_local_email(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Outside development a console, file, locmem or dummy backend loses every email.

    The backend accepts each message, so its row says "sent" and nothing looks wrong until
    a recipient asks where the link is.
    """
    if not _keeps_mail_local():
        return []
    return [
        checks.Warning(
            f"EMAIL_BACKEND={settings.EMAIL_BACKEND!r} with DEBUG off: link emails never leave "
            "this machine, yet each is recorded as sent.",
            hint=LOCAL_EMAIL_HINT,
            id="sharelinks.W005",
        )
    ]


@checks.register(checks.Tags.compatibility, deploy=True)
def check_local_email_deploy(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Where a deployment is checked (`check --deploy`), the same backend is an error."""
    if not _keeps_mail_local():
        return []
    return [
        checks.Error(
            f"A deployment must deliver email; EMAIL_BACKEND={settings.EMAIL_BACKEND!r} does not.",
            hint=f"{LOCAL_EMAIL_HINT} Plain `check` reports this as sharelinks.W005.",
            id="sharelinks.E011",
        )
    ]


@checks.register(checks.Tags.compatibility)
def check_email_tls(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Django refuses to send with both TLS modes on, so it would fail on the first email."""
    if not (
        getattr(settings, "EMAIL_USE_TLS", False) and getattr(settings, "EMAIL_USE_SSL", False)
    ):
        return []
    return [
        checks.Error(
            "EMAIL_USE_TLS and EMAIL_USE_SSL are both on; Django sends with neither.",
            hint="Port 587 (STARTTLS): EMAIL_USE_TLS=true. Port 465 (TLS from the start): "
            "EMAIL_USE_SSL=true. Set only one.",
            id="sharelinks.E012",
        )
    ]
