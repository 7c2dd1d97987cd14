"""The staff UI: create, copy, revoke, extend and reinstate shares; read their click log.

Every change goes through sharelinks.shares, like the views and commands do. Staff who
are not superusers see and change their own shares only.
"""

from collections.abc import Callable

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sharelinks import links
from sharelinks.admin.actions import LifecycleActionsMixin, default_expiry
from sharelinks.admin.filters import BrokenFilter, StatusFilter
from sharelinks.admin.forms import ShareAddForm, ShareChangeForm
from sharelinks.admin.inlines import RECORDS_SHOWN, ClickInline, DeliveryInline
from sharelinks.admin.sendlink import SendLinkAdminMixin
from sharelinks.admin.uploads import UploadAdminMixin
from sharelinks.models import ClickOutcome, Share, ShareStatus

admin.site.site_header = _("sharelinks")
admin.site.site_title = _("sharelinks")
admin.site.index_title = _("Shared files")
admin.site.site_url = None  # "/" only leads back here: no "view site" link
# One model: the app list beside every page would only squeeze the change list's columns.
admin.site.enable_nav_sidebar = False


# What the change page shows but nobody may change: where the object is, and its history.
STORED_FIELDS = ["bucket", "key", "content_type", "size_display"]
HISTORY_FIELDS = [
    "code",
    "created_at",
    "revoked_at",
    "download_count",
    "activity",
    "clicks_count",
    "missing_since",
]

# A badge has to fit a narrow column; its title keeps the full wording.
_BADGE_TEXT = {ShareStatus.EXHAUSTED: _("Limit reached")}


def _short_link_field(request: HttpRequest) -> Callable[[Share], str]:
    """The absolute short link with a copy button, as a column or read-only field.

    It needs the request (the link's host when SHARELINKS_BASE_URL is unset), so it is made
    per request; kept on the request so the change page's fieldsets and read-only fields
    name the same callable.
    """
    if not hasattr(request, "_sharelinks_short_link"):

        @admin.display(description=_("short link"))
        def short_link(share: Share) -> str:
            url = links.share_url(share, request)
            origin = url.removesuffix(share.code)  # a narrow column breaks the line there
            return format_html(
                '<span class="sharelink"><code class="sharelink-url">{}<wbr>{}</code> '
                '<button type="button" class="button sharelink-copy" data-copy="{}" '
                'data-done="{}" data-fail="{}">{}</button></span>',
                origin,
                url[len(origin) :],
                url,
                _("Copied"),
                _("Press Ctrl+C to copy"),
                _("Copy"),
            )

        request._sharelinks_short_link = short_link
    return request._sharelinks_short_link


@admin.register(Share)
class ShareAdmin(UploadAdminMixin, SendLinkAdminMixin, LifecycleActionsMixin, admin.ModelAdmin):
    """Shares of one staff member (all of them for superusers), with status at a glance."""

    form = ShareChangeForm
    add_form = ShareAddForm
    list_display_links = ["filename"]
    list_select_related = ["owner"]
    search_fields = ["filename", "note", "=code"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    empty_value_display = "\N{EM DASH}"
    actions = ["send_link", "revoke_shares", "extend_shares", "reinstate_shares"]
    inlines = [ClickInline, DeliveryInline]

    # -- what each staff member sees -------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(owner=request.user)

    def _owns(self, request: HttpRequest, obj: Share | None) -> bool:
        return obj is None or request.user.is_superuser or obj.owner_id == request.user.pk

    def has_view_permission(self, request: HttpRequest, obj: Share | None = None) -> bool:
        return super().has_view_permission(request, obj) and self._owns(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Share | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._owns(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Share | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._owns(request, obj)

    def get_list_display(self, request: HttpRequest) -> list:
        return [
            "filename",
            _short_link_field(request),
            "status_badge",
            "expires_at",
            "downloads",
            "owner",
        ]

    def get_list_filter(self, request: HttpRequest) -> list:
        if request.user.is_superuser:
            return [StatusFilter, BrokenFilter, ("owner", admin.RelatedOnlyFieldListFilter)]
        return [StatusFilter, BrokenFilter]

    # -- the add and change pages ----------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Share | None = None) -> list:
        if obj is None:
            owner = ["owner"] if request.user.is_superuser else []
            sharing = ["filename", "expires_at", "max_downloads", "share_password", "note"]
            sharing += owner
            return [
                (_("Upload a file"), {"fields": ["upload"]}),
                (_("… or share an object already in S3"), {"fields": ["bucket", "key"]}),
                (_("Share"), {"fields": sharing}),
                (_("Recipients"), {"fields": ["message", "language", "recipients"]}),
                (_("Link and notices"), {"fields": ["direct_download", "notify_downloads"]}),
            ]
        link = _short_link_field(request)
        sharing = [link, "status_badge", "filename", "expires_at", "max_downloads", "note"]
        password = ["new_password", "remove_password"] if obj.has_password else ["new_password"]
        return [
            (None, {"fields": [*sharing, "owner"]}),
            (_("Recipients"), {"fields": ["message", "language", *password]}),
            (_("Link and notices"), {"fields": ["direct_download", "notify_downloads"]}),
            (_("Stored object"), {"fields": STORED_FIELDS}),
            (_("History"), {"fields": HISTORY_FIELDS}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Share | None = None) -> list:
        if obj is None:
            return []
        readonly = [_short_link_field(request), "status_badge", *STORED_FIELDS, *HISTORY_FIELDS]
        return readonly if request.user.is_superuser else [*readonly, "owner"]

    def get_form(self, request: HttpRequest, obj: Share | None = None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user  # a new class per request: see ShareAddForm.user
        return form

    def get_inlines(self, request: HttpRequest, obj: Share | None) -> list:
        return self.inlines if obj is not None else []

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = {"expires_at": default_expiry(), "owner": request.user.pk}
        return {**initial, **self.upload_initial(request)}

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "max_downloads":
            kwargs["min_value"] = 1  # the model's check constraint, said on the field
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Share, form, change: bool) -> None:
        if not change:
            return  # a new share was already saved by the service, in ShareAddForm
        # Only the columns staff changed: a click, a revocation or the broken-share check
        # since the page was loaded must not be written back with the page's old values.
        model_fields = {field.name for field in Share._meta.concrete_fields}
        changed = [name for name in form.changed_data if name in model_fields]
        if form.cleaned_data.get("new_password") or form.cleaned_data.get("remove_password"):
            obj.set_password(form.cleaned_data.get("new_password") or "")
            changed.append("password")
        if changed:
            obj.save(update_fields=changed)

    # -- columns ---------------------------------------------------------------------

    @admin.display(description=_("views and downloads"))
    def activity(self, share: Share) -> str:
        """Page views (never counted) apart from downloads, with scanners named apart.

        From the click log, so it covers what the log still keeps (CLICK_RETENTION_DAYS).
        """
        counts = share.clicks.aggregate(
            views=Count("pk", filter=Q(outcome=ClickOutcome.VIEWED)),
            scanners=Count("pk", filter=Q(outcome=ClickOutcome.VIEWED, scanner=True)),
            downloads=Count("pk", filter=Q(outcome=ClickOutcome.REDIRECTED)),
            resumed=Count("pk", filter=Q(outcome=ClickOutcome.RESUMED)),
        )
        text = _(
            "%(views)d page views (%(scanners)d by mail scanners or link previews), "
            "%(downloads)d downloads, %(resumed)d resumed downloads (not counted)"
        )
        return text % counts

    @admin.display(description=_("clicks"))
    def clicks_count(self, share: Share) -> str:
        """All clicks ever logged; the log below lists only the latest RECORDS_SHOWN."""
        count = share.clicks.count()
        if count <= RECORDS_SHOWN:
            return str(count)
        return _("%(count)d (the latest %(shown)d are listed below)") % {
            "count": count,
            "shown": RECORDS_SHOWN,
        }

    @admin.display(description=_("status"))
    def status_badge(self, share: Share) -> str:
        status = share.status
        return format_html(
            '<span class="sharelink-status sharelink-status-{}" title="{}">{}</span>',
            status.value,
            status.label,
            _BADGE_TEXT.get(status, status.label),
        )

    @admin.display(description=_("downloads"), ordering="download_count")
    def downloads(self, share: Share) -> str:
        limit = "∞" if share.max_downloads is None else share.max_downloads
        return f"{share.download_count} / {limit}"

    @admin.display(description=_("size"))
    def size_display(self, share: Share) -> str:
        return filesizeformat(share.size) if share.size is not None else self.empty_value_display

    # -- actions ---------------------------------------------------------------------
