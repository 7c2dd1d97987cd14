"""The "Send link…" action, page and button, and the recipients on the add form.

The page of one share is also where staff land after adding it: the link, its copy button
and QR code come first, the email form below, so the link is handed over at once instead
of hidden in a list. ShareAdmin mixes SendLinkAdminMixin in; every send goes through
sharelinks.mail, in the request's transaction.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sharelinks import mail, people, shares
from sharelinks.admin.forms import SendLinkForm, recipients_field
from sharelinks.admin.linkfield import link_copy, qr_svg, short_link_field
from sharelinks.links import share_url
from sharelinks.models import Recipient, RecipientState, Share

QUEUED_WARNING = _(
    "The task queue cannot be reached right now. The email is saved and will be sent "
    "automatically as soon as the queue is back; there is nothing to do."
)


class SendLinkAdminMixin:
    """Adds recipients to the add form, the "Send link…" action, page and button."""

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        if obj is None:  # the add form gets a field that is not the model's
            base = kwargs.get("form", self.form)
            kwargs["form"] = type(
                base.__name__, (base,), {"recipients": recipients_field(required=False)}
            )
        return super().get_form(request, obj, **kwargs)

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("notify_downloads", "language"):
            field.required = False  # a form that leaves it out keeps the share's setting
        return field

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        share = form.instance
        recipients = form.cleaned_data.get("recipients")
        if not change and recipients:  # the emails carry the share's own message
            # Sent to people at once: each gets a link of their own, the general one is off.
            shares.share_general_link_set(share=share, on=False)
            self._send(request, share, recipients, "")

    def _send(self, request: HttpRequest, share: Share, recipients: list, message: str) -> None:
        """Queue the emails in this request's transaction; warn if the broker is down."""
        queued = mail.share_send_link(
            share=share,
            recipients=recipients,
            message=message,
            sender=request.user,
            on_unqueued=lambda: messages.warning(request, QUEUED_WARNING),
        )
        count = len(queued)  # a recipient whose email is still on its way is not sent another
        if not count:
            already = _("The link to %(share)s is already on its way to these recipients.")
            self.message_user(request, already % {"share": share}, messages.INFO)
            return
        done = ngettext(
            "The link to %(share)s is being emailed to %(count)d recipient.",
            "The link to %(share)s is being emailed to %(count)d recipients.",
            count,
        )
        self.message_user(request, done % {"share": share, "count": count}, messages.SUCCESS)

    def response_post_save_add(self, request: HttpRequest, obj: Share) -> HttpResponse:
        """After "Save": the new share's link page, not the list it would be lost in."""
        info = self.opts.app_label, self.opts.model_name
        return HttpResponseRedirect(reverse("admin:{}_{}_send".format(*info), args=[obj.pk]))

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.send_link_view)
        send = path("<path:object_id>/send/", view, name="{}_{}_send".format(*info))
        return [send, *super().get_urls()]

    def send_link_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The share page's "Send link…" button."""
        # get_object (not a plain lookup): a mangled id is "not found", never a 500.
        share = self.get_object(request, unquote(object_id))
        if share is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, share):
            return HttpResponseRedirect(reverse("admin:index"))
        selected = self.get_queryset(request).filter(pk=share.pk)
        response = self._send_form(request, selected, link=self._link_context(request, share))
        return response or HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[share.pk])
        )

    @admin.action(description=_("Send link…"), permissions=["change"])
    def send_link(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Email the links of the selected shares to the same recipients."""
        return self._send_form(request, queryset, action="send_link")

    def _link_context(self, request: HttpRequest, share: Share) -> dict:
        """What the page of one share shows above the form: status, the general link while
        it works, and each person's own link; every link with its copy button and QR."""
        general = share_url(share, request)
        return {
            "share": share,
            "general": share.general_link,
            "field": short_link_field(request)(share),
            "qr": qr_svg(general) if share.general_link else "",
            "status": self.status_badge(share),
            "people": [self._person_link(request, person) for person in people.people_live(share)],
        }

    def _person_link(self, request: HttpRequest, person: Recipient) -> dict:
        url = share_url(person, request)
        active = person.state == RecipientState.ACTIVE
        title = _("QR code of %(person)s's link") % {"person": person.label}
        return {
            "person": person,
            "field": link_copy(url, person.code) if active else "",
            "qr": qr_svg(url, title) if active else "",
        }

    def _send_form(
        self, request: HttpRequest, queryset: QuerySet, action: str = "", link: dict | None = None
    ) -> HttpResponse | None:
        form = SendLinkForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                with transaction.atomic():
                    for share in queryset:
                        self._send(request, share, **form.cleaned_data)
            except ValidationError as err:
                form.add_error(None, err)
            else:
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Link to %(file)s") % {"file": link["share"]} if link else _("Send link"),
            "link": link,
            "opts": self.opts,
            "form": form,
            "shares": queryset,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/sharelinks/share/send_link.html", context)
