"""App configuration: registers the system checks and the Celery tasks when Django starts;
the admin's configuration installs sharelinks' admin site as the default one."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class SharelinksConfig(AppConfig):
    """The sharelinks app."""

    name = "sharelinks"
    verbose_name = _("Shared links")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported for their registrations: the checks with Django, the tasks with Celery
        # (the mail package publishes its send task by name, from the registry), the
        # `any` lookup with every field.
        from sharelinks import checks, lookups, tasks  # noqa: F401


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with sharelinks' site (sharelinks.adminsite) as the default."""

    default = False  # INSTALLED_APPS names it; "sharelinks" alone still means the app
    default_site = "sharelinks.adminsite.SharelinksAdminSite"
