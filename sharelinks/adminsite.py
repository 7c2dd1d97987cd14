"""The admin site: shares first, then people; scheduled jobs apart, for superusers only.

Staff come to the admin to share a file, so the index leads with shares. The beat
schedule (django-celery-beat) decides when emails are swept and objects checked: a
staff member who may change shares has no business there, whatever permissions a group
hands out, so its models are registered superuser-only and listed last, under a name of
their own. Installed as the default site by sharelinks.apps.AdminConfig; a module apart
from sharelinks.admin, whose import registers models on this very site.
"""

from django.contrib import admin
from django.db.models.base import ModelBase
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

# Apps in index order; an app not named here follows them, alphabetically.
APP_ORDER = ["sharelinks", "auth"]
SUPERUSER_APPS = {"django_celery_beat": _("Scheduled jobs (superusers only)")}


class SuperuserOnly:
    """A ModelAdmin mixin that shows and allows nothing to anyone but superusers."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class SharelinksAdminSite(admin.AdminSite):
    """The staff UI's site: titles, index order, and superuser-only scheduled jobs."""

    site_header = _("sharelinks")
    site_title = _("sharelinks")
    index_title = _("Shared files")
    site_url = None  # "/" only leads back here: no "view site" link
    # The app list beside every page would only squeeze the change list's columns.
    enable_nav_sidebar = False

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        models = (
            [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        )
        models = list(models)
        if any(model._meta.app_label in SUPERUSER_APPS for model in models):
            base = admin_class or admin.ModelAdmin
            admin_class = type(base.__name__, (SuperuserOnly, base), {"__module__": __name__})
        super().register(models, admin_class, **options)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        apps = super().get_app_list(request, app_label)
        for app in apps:
            if app["app_label"] in SUPERUSER_APPS:
                app["name"] = SUPERUSER_APPS[app["app_label"]]
                app["superuser_only"] = True

        def rank(app: dict) -> tuple[int, str]:
            label = app["app_label"]
            if label in SUPERUSER_APPS:
                return len(APP_ORDER) + 1, str(app["name"])
            if label in APP_ORDER:
                return APP_ORDER.index(label), ""
            return len(APP_ORDER), str(app["name"])

        return sorted(apps, key=rank)
