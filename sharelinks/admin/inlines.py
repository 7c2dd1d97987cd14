"""Read-only inlines for a share's history (its clicks, its emails) on the share's page.

A record is shown, never edited: the inlines refuse every change permission, their
formset ignores whatever a posted page carries, and only the latest RECORDS_SHOWN rows
are listed, so a share clicked ten thousand times still has a page that loads.
"""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from sharelinks.models import Click, Delivery

RECORDS_SHOWN = 100


class RecordFormSet(BaseInlineFormSet):
    """The latest RECORDS_SHOWN rows; a posted change page need not carry a management form."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if not queryset.query.is_sliced:
            self._queryset = queryset = queryset[:RECORDS_SHOWN]
        return queryset

    def full_clean(self) -> None:
        self._errors, self._non_form_errors = [], self.error_class()

    def save(self, commit: bool = True) -> list:
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        return []


class RecordInline(admin.TabularInline):
    """A share's records, newest first, for whoever may see the share."""

    formset = RecordFormSet
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # The records are part of the share: whoever may see the share may see them.
        return request.user.has_perm("sharelinks.view_share") or request.user.has_perm(
            "sharelinks.change_share"
        )


class ClickInline(RecordInline):
    """The click log, newest first; a record of what happened, so nobody edits it."""

    model = Click
    fields = ["at", "outcome", "scanner", "client_ip", "user_agent"]
    readonly_fields = fields
    ordering = ["-at"]
    verbose_name_plural = _("click log")


class DeliveryInline(RecordInline):
    """The share's emails and where each one is; a record, so nobody edits it."""

    model = Delivery
    fields = ["recipient", "kind", "status", "attempts", "last_error", "created_at", "sent_at"]
    readonly_fields = fields
    verbose_name_plural = _("emails")
