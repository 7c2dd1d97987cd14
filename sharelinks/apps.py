"""App configuration: registers the system checks when Django starts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharelinksConfig(AppConfig):
    """The sharelinks app."""

    name = "sharelinks"
    verbose_name = _("Shared links")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sharelinks import checks  # noqa: F401  (registers the checks)
