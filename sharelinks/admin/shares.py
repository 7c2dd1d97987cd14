"""The staff UI: create, copy, revoke, extend and reinstate shares; read their click log.

Every change goes through sharelinks.shares, like the views and commands do. Staff who
are not superusers see and change their own shares only.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sharelinks import links
from sharelinks.admin.actions import LifecycleActionsMixin, default_expiry
from sharelinks.admin.filters import BrokenFilter, StatusFilter
from sharelinks.admin.forms import ShareAddForm, ShareChangeForm
from sharelinks.admin.inlines import RECORDS_SHOWN, ClickInline, DeliveryInline
from sharelinks.admin.linkfield import short_link_field
from sharelinks.admin.sendlink import SendLinkAdminMixin
from sharelinks.models import ClickOutcome, Share, ShareStatus

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


@admin.register(Share)
class ShareAdmin(SendLinkAdminMixin, LifecycleActionsMixin, admin.ModelAdmin):
    """Shares of one staff member (all of them for superusers), with status at a glance."""

    form = ShareChangeForm
    add_form = ShareAddForm
    list_display_links = ["filename"]
    list_select_related = ["owner"]
    search_fields = ["filename", "note"]  # and codes or short links: get_search_results
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
        columns = [
            "filename",
            short_link_field(request),
            "status_badge",
            "expires",
            "downloads",
            "size_display",
            "created_on",
        ]
        # Staff see only their own shares: an owner column would repeat their name.
        return [*columns, "owner"] if request.user.is_superuser else columns

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        # "Shares", not Django's "Select share to change": the list is where staff work.
        context = {"title": self.opts.verbose_name_plural.capitalize(), **(extra_context or {})}
        return super().changelist_view(request, context)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """A pasted short link, or a bare code, finds its share; other text searches the
        file name and note."""
        code = links.code_from_link(search_term)
        if code is not None:
            return queryset.filter(code=code), False
        return super().get_search_results(request, queryset, search_term)

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
        link = short_link_field(request)
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
        readonly = [short_link_field(request), "status_badge", *STORED_FIELDS, *HISTORY_FIELDS]
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
        return {"expires_at": default_expiry(), "owner": request.user.pk}

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
        """The status a click would meet; a missing file wins over "Active", since a click
        on such a share gets "no longer available", not the file."""
        status = share.status
        if status == ShareStatus.ACTIVE and share.missing_since is not None:
            return format_html(
                '<span class="sharelink-status sharelink-status-missing" title="{}">{}</span>',
                _("Its file is missing from storage: clicks get “no longer available”."),
                _("File missing"),
            )
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

    @admin.display(description=_("expires"), ordering="expires_at")
    def expires(self, share: Share) -> str:
        """Date and time on two lines, so the column stays narrow; one line on a phone."""
        local = timezone.localtime(share.expires_at)
        return format_html(
            '<span class="nowrap">{}</span> <br class="sharelink-break">'
            '<span class="nowrap">{}</span>',
            date_format(local, "DATE_FORMAT"),
            time_format(local, "TIME_FORMAT"),
        )

    @admin.display(description=_("created"), ordering="created_at")
    def created_on(self, share: Share) -> str:
        """The day only: the time is on the share's page, and the column stays narrow."""
        return date_format(timezone.localtime(share.created_at), "DATE_FORMAT")

    @admin.display(description=_("size"), ordering="size")
    def size_display(self, share: Share) -> str:
        return filesizeformat(share.size) if share.size is not None else self.empty_value_display

    # -- actions ---------------------------------------------------------------------
