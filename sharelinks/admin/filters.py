"""The share list's filters, decided in SQL as the click path decides."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from sharelinks.models import ShareStatus


class StatusFilter(admin.SimpleListFilter):
    """Active, expired, revoked or exhausted, decided in SQL as the click path decides it."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return ShareStatus.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ShareStatus.values:
            return queryset.with_status(self.value())
        return queryset


class BrokenFilter(admin.SimpleListFilter):
    """Shares whose object the broken-share check found missing."""

    title = _("file in storage")
    parameter_name = "broken"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", _("Broken: file missing")), ("no", _("Present"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(missing_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(missing_since__isnull=True)
        return queryset
