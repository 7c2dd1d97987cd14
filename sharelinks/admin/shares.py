"""The staff UI: create, copy, revoke, extend and reinstate shares; read their click log.

Every change goes through sharelinks.shares, like the views and commands do. Staff who
are not superusers see and change their own shares only.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from sharelinks import links
from sharelinks.admin.actions import LifecycleActionsMixin, default_expiry
from sharelinks.admin.columns import ShareColumnsMixin
from sharelinks.admin.filters import BrokenFilter, StatusFilter
from sharelinks.admin.forms import ShareAddForm, ShareChangeForm
from sharelinks.admin.inlines import ClickInline, DeliveryInline
from sharelinks.admin.linkfield import short_link_field
from sharelinks.admin.people import PeopleAdminMixin, PeopleInline
from sharelinks.admin.sendlink import SendLinkAdminMixin
from sharelinks.admin.uploads import UploadAdminMixin
from sharelinks.models import Share

# What the change page shows but nobody may change: where the object is, and its history.
STORED_FIELDS = ["bucket", "key", "content_type", "size_display", "file_fate"]
HISTORY_FIELDS = [
    "code",
    "created_at",
    "revoked_at",
    "download_count",
    "activity",
    "clicks_count",
    "missing_since",
]


@admin.register(Share)
class ShareAdmin(
    UploadAdminMixin,
    PeopleAdminMixin,
    SendLinkAdminMixin,
    LifecycleActionsMixin,
    ShareColumnsMixin,
    admin.ModelAdmin,
):
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
    inlines = [PeopleInline, ClickInline, DeliveryInline]

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
            # The general link can be turned off (it leaked; the share went to people) and
            # on again without touching anyone's own link.
            (
                _("Link and notices"),
                {"fields": ["general_link", "direct_download", "notify_downloads"]},
            ),
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

    # -- actions ---------------------------------------------------------------------
