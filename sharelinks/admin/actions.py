"""The share list's lifecycle actions: revoke, reinstate, and extend (on a page of its own).

Each calls a one-share service from sharelinks.shares; a ValidationError becomes a message.
"""

from collections.abc import Callable
from datetime import datetime

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sharelinks import shares
from sharelinks.admin.forms import ShareExtendForm
from sharelinks.conf import app_settings
from sharelinks.models import Share, ShareStatus


def default_expiry() -> datetime:
    """Now plus SHARELINKS_DEFAULT_LIFETIME, to the minute: the add form's initial expiry."""
    return (timezone.now() + app_settings.DEFAULT_LIFETIME).replace(second=0, microsecond=0)


def extend_initial(queryset: QuerySet) -> datetime:
    """The extend page's proposal: the later of the latest current expiry and the default.

    Never earlier than a selected share already runs: a prefilled now + 7 days once cut a
    share that ran until late January to early December for staff who clicked "Extend".
    Capped at SHARELINKS_MAX_LIFETIME from now, which the service would refuse.
    """
    latest = max((share.expires_at for share in queryset), default=None)
    proposal = max(filter(None, [latest, default_expiry()]))
    cap = timezone.now() + app_settings.MAX_LIFETIME
    return min(proposal, cap).replace(second=0, microsecond=0)


# A reinstated share whose link still does not work, and what would make it work.
STILL_DEAD = {
    ShareStatus.EXPIRED: _(
        "No longer revoked, but %(share)s has expired: extend it to make its link work again."
    ),
    ShareStatus.EXHAUSTED: _(
        "No longer revoked, but %(share)s has reached its download limit: raise the limit on "
        "its page to make its link work again."
    ),
}


class LifecycleActionsMixin:
    """Revoke, reinstate and extend the selected shares."""

    def _apply(
        self, request: HttpRequest, queryset: QuerySet, service: Callable, done: str
    ) -> list[Share]:
        """Run a one-share service on each share; a ValidationError becomes an error message."""
        changed = []
        for share in queryset:
            try:
                service(share=share)
            except ValidationError as err:
                self.message_user(request, f"{share}: {' '.join(err.messages)}", messages.ERROR)
            else:
                changed.append(share)
        if changed:
            self.message_user(request, done % {"count": len(changed)}, messages.SUCCESS)
        return changed

    @admin.action(description=_("Revoke the selected shares"), permissions=["change"])
    def revoke_shares(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.count()
        done = ngettext("%(count)d share revoked.", "%(count)d shares revoked.", count)
        self._apply(request, queryset, shares.share_revoke, done)

    @admin.action(description=_("Reinstate the selected shares"), permissions=["change"])
    def reinstate_shares(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Undo revocations; say which links work again and which are still dead, and why."""
        working = 0
        for share in queryset:
            if share.revoked_at is None:
                self.message_user(
                    request,
                    _("Not revoked, so nothing to reinstate: %(share)s.") % {"share": share},
                    messages.INFO,
                )
                continue
            try:
                shares.share_reinstate(share=share)
            except ValidationError as err:
                self.message_user(request, f"{share}: {' '.join(err.messages)}", messages.ERROR)
                continue
            still_dead = STILL_DEAD.get(share.status)
            if still_dead is None:
                working += 1
            else:
                self.message_user(request, still_dead % {"share": share}, messages.WARNING)
        if working:
            done = ngettext(
                "%(count)d share reinstated: its link works again.",
                "%(count)d shares reinstated: their links work again.",
                working,
            )
            self.message_user(request, done % {"count": working}, messages.SUCCESS)

    @admin.action(description=_("Extend the selected shares…"), permissions=["change"])
    def extend_shares(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Ask for the new expiry on a page of its own, then extend all or none."""
        if "apply" in request.POST:
            form = ShareExtendForm(request.POST)
            if form.is_valid():
                return self._extend(request, queryset, form.cleaned_data["expires_at"])
        else:
            form = ShareExtendForm(initial={"expires_at": extend_initial(queryset)})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Extend shares"),
            "opts": self.opts,
            "form": form,
            "shares": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/sharelinks/share/extend.html", context)

    def _extend(self, request: HttpRequest, queryset: QuerySet, until: datetime) -> None:
        try:
            with transaction.atomic():
                selected = list(queryset)
                for share in selected:
                    shares.share_extend(share=share, until=until)
        except ValidationError as err:
            self.message_user(request, " ".join(err.messages), messages.ERROR)
            return
        # No period after the date: formats such as "4:59 a.m." end in one already.
        done = ngettext(
            "%(count)d share extended: it now expires %(until)s",
            "%(count)d shares extended: they now expire %(until)s",
            len(selected),
        )
        until_text = date_format(timezone.localtime(until), "DATETIME_FORMAT")
        self.message_user(
            request, done % {"count": len(selected), "until": until_text}, messages.SUCCESS
        )
