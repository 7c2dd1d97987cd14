"""The share page's people: who the share was sent to, each with their own link, what
they did, and per-person actions (withdraw, reinstate, new link, erase), a person added
by hand without an email, a reminder to those who have not downloaded, and a CSV of who
downloaded when.

Only the share's owner and superusers reach these: ShareAdmin shows staff their own
shares only, and every view here goes through its get_object and change permission.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from sharelinks import mail, people
from sharelinks.admin.inlines import RecordInline
from sharelinks.links import share_url
from sharelinks.mail import Addressee, recipients_clean
from sharelinks.models import DeliveryKind, Recipient, RecipientState, Share

ACTIONS = {
    "withdraw": (people.person_withdraw, _("%(person)s's link no longer works.")),
    "reinstate": (people.person_reinstate, _("%(person)s's link works again.")),
    "replace": (people.person_replace, _("%(person)s has a new link; the old one says so.")),
    "erase": (people.person_erase, _("%(person)s's name, address and networks were erased.")),
}


class PersonAddForm(forms.Form):
    """One person added by hand: a name and an address, or `Name <address>` as mail
    programs copy it, read by the same parser as the send-link form."""

    person_name = forms.CharField(label=_("Name"), required=False, max_length=200)
    person_address = forms.CharField(
        label=_("Address"), max_length=400,
        error_messages={"required": _("Type the address of the person to add.")},
    )  # fmt: skip

    def clean_person_address(self) -> Addressee:
        found = recipients_clean(self.cleaned_data["person_address"])
        if len(found) != 1:
            raise ValidationError(_("Add one person at a time."), code="one_person")
        return found[0]

    def person(self) -> dict:
        """The address, and the name typed in its field, else the one pasted with it."""
        addressee = self.cleaned_data["person_address"]
        name = self.cleaned_data["person_name"].strip() or addressee.name
        return {"address": addressee.address, "name": name}


class PeopleInline(RecordInline):
    """The share's people with their own link, email, views and downloads, and actions;
    below them, the fields that add a person without emailing (people_inline.html)."""

    model = Recipient
    template = "admin/sharelinks/share/people_inline.html"
    fk_name = "share"
    verbose_name_plural = _("people")
    fields = ["name", "address", "state", "link", "email", "view_count", "download_count",
              "first_download_at", "last_download_at", "actions"]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).exclude(state=RecipientState.REPLACED)

    @admin.display(description=_("link"))
    def link(self, person: Recipient) -> str:
        url = share_url(person)
        return format_html(
            '<button type="button" class="button sharelink-copy" data-copy="{}" data-done="{}" '
            'data-fail="{}">{}</button>', url, _("Copied"), _("Press Ctrl+C to copy"), _("Copy"),
        )  # fmt: skip

    @admin.display(description=_("email"))
    def email(self, person: Recipient) -> str:
        last = person.deliveries.filter(kind=DeliveryKind.LINK).order_by("-created_at").first()
        return last.get_status_display() if last else "—"

    @admin.display(description=_("actions"))
    def actions(self, person: Recipient) -> str:
        names = ["replace", "erase"]
        names.insert(0, "withdraw" if person.state == RecipientState.ACTIVE else "reinstate")
        labels = {"withdraw": _("Withdraw"), "reinstate": _("Reinstate"),
                  "replace": _("New link"), "erase": _("Erase")}  # fmt: skip
        url = reverse("admin:sharelinks_share_person", args=[person.share_id, person.pk, "x"])
        return format_html(
            "".join(
                f'<button type="submit" class="button" formmethod="post" '
                f'formaction="{url[:-2]}{name}/">{{}}</button> '
                for name in names
            ),
            *[labels[name] for name in names],
        )


class PeopleAdminMixin:
    """The per-person action, reminder and CSV views of ShareAdmin."""

    def get_urls(self) -> list:
        site = self.admin_site
        urls = [
            path("<path:object_id>/people/<int:person_id>/<str:action>/",
                 site.admin_view(require_POST(self.person_action_view)),
                 name="sharelinks_share_person"),
            path("<path:object_id>/people/add/",
                 site.admin_view(require_POST(self.person_add_view)),
                 name="sharelinks_share_person_add"),
            path("<path:object_id>/people/remind/",
                 site.admin_view(require_POST(self.remind_view)), name="sharelinks_share_remind"),
            path("<path:object_id>/people.csv", site.admin_view(self.people_csv_view),
                 name="sharelinks_share_people_csv"),
        ]  # fmt: skip
        return [*urls, *super().get_urls()]

    def _own_share(self, request: HttpRequest, object_id: str) -> Share | None:
        share = self.get_object(request, unquote(object_id))
        if share is None or not self.has_change_permission(request, share):
            return None
        return share

    def _back(self, share: Share) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:sharelinks_share_change", args=[share.pk]))

    def person_action_view(self, request, object_id: str, person_id: int, action: str):
        share = self._own_share(request, object_id)
        person = share and share.recipients.filter(pk=person_id).first()
        if person is None or action not in ACTIONS:
            return HttpResponseRedirect(reverse("admin:index"))
        service, done = ACTIONS[action]
        try:
            with transaction.atomic():
                service(person=person)
        except ValidationError as err:
            self.message_user(request, " ".join(err.messages), messages.ERROR)
        else:
            self.message_user(request, done % {"person": person.label}, messages.SUCCESS)
        return self._back(share)

    def person_add_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A person and their own link, no email: staff hand the link over themselves."""
        share = self._own_share(request, object_id)
        if share is None:
            return HttpResponseRedirect(reverse("admin:index"))
        form = PersonAddForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(
                    [error for errors in form.errors.values() for error in errors]
                )
            with transaction.atomic():
                person = people.person_add_new(share=share, **form.person())
        except ValidationError as err:
            self.message_user(request, " ".join(err.messages), messages.ERROR)
        else:
            done = _("%(person)s was added with their own link; no email was sent.")
            self.message_user(request, done % {"person": person.label}, messages.SUCCESS)
        return self._back(share)

    def remind_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        share = self._own_share(request, object_id)
        if share is None:
            return HttpResponseRedirect(reverse("admin:index"))
        count = mail.people_remind(share=share, sender=request.user)
        self.message_user(
            request, _("%(count)d people who have not downloaded are reminded.") % {"count": count}
        )
        return self._back(share)

    def people_csv_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        share = self._own_share(request, object_id)
        if share is None:
            return HttpResponseRedirect(reverse("admin:index"))
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="share-{share.pk}-people.csv"'
        writer = csv.writer(response)
        writer.writerow(["name", "address", "state", "downloads", "first download",
                         "last download", "page views"])  # fmt: skip
        for person in share.recipients.exclude(state=RecipientState.REPLACED):
            writer.writerow([
                person.name, person.address, person.state, person.download_count,
                person.first_download_at.isoformat() if person.first_download_at else "",
                person.last_download_at.isoformat() if person.last_download_at else "",
                person.view_count,
            ])  # fmt: skip
        return response
