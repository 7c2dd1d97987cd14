"""The user's admin page with its sign-in throttle: what holds the username back, and a
button that lifts it (sharelinks.logins), for the admin whose colleague is locked out."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sharelinks import logins

User = get_user_model()


class StaffUserAdmin(UserAdmin):
    """Django's UserAdmin, plus the sign-in throttle's section on each user's page."""

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [*fieldsets, (_("Sign-in throttle"), {"fields": ["sign_in_throttle"]})]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [*super().get_readonly_fields(request, obj), "sign_in_throttle"]

    @admin.display(description=_("failed sign-ins"))
    def sign_in_throttle(self, user) -> str:
        state = logins.login_throttle(username=user.get_username())
        if state.clear:
            return _("No failed sign-ins of late.")
        failures = ngettext(
            "%(count)d failed sign-in from all networks in the window.",
            "%(count)d failed sign-ins from all networks in the window.",
            state.failures,
        )
        parts = [failures % {"count": state.failures}]
        if state.locked_networks:
            until = date_format(localtime(state.locked_until), "DATETIME_FORMAT")
            refused = ngettext(
                "Refused from %(count)d network until %(until)s.",
                "Refused from %(count)d networks until %(until)s.",
                state.locked_networks,
            )
            parts.append(refused % {"count": state.locked_networks, "until": until})
        if state.slowed:
            parts.append(_("Every network that fails waits between tries."))
        # A link to a page of its own: a button inside the change form would become the
        # form's default, and Enter in any field would lift the lock instead of saving.
        return format_html(
            '<p>{}</p><a class="button" href="{}">{}</a>',
            " ".join(str(part) for part in parts),
            reverse(f"{self.admin_site.name}:{self._info()}_unlock", args=[user.pk]),
            _("Lift the sign-in lock…"),
        )

    def _info(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.unlock_view)
        return [path("<id>/unlock/", view, name=f"{self._info()}_unlock"), *super().get_urls()]

    def unlock_view(self, request: HttpRequest, id: str) -> HttpResponse:
        """Ask, then clear the username's counters from every network (change permission)."""
        user = self.get_object(request, unquote(id))
        if user is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, id)
        if not self.has_change_permission(request, user):
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:index"))
        change = reverse(f"{self.admin_site.name}:{self._info()}_change", args=[user.pk])
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Lift the sign-in lock of %(user)s") % {"user": user.get_username()},
                "opts": self.opts,
                "original": user,
                "state": logins.login_throttle(username=user.get_username()),
                "change_url": change,
            }
            return TemplateResponse(request, "admin/auth/user/unlock.html", context)
        cleared = logins.login_unlock(username=user.get_username())
        self.message_user(
            request,
            _(
                "Sign-in lock lifted: %(user)s may sign in again from every network "
                "(%(count)d counters cleared)."
            )
            % {"user": user.get_username(), "count": cleared},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(change)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
