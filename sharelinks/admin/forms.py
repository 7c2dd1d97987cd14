"""The admin's forms: one add form for both sources, the change, extend and send-link forms.

Creating a share has a side effect (a HEAD on S3), so the add form calls the service while
it validates: that is the only moment an error such as "no such object" can still be shown
on the field that caused it instead of ending as a 500. An uploaded file reaches the form
as the signed handle of an upload the browser already sent to S3 (admin/uploadfield.py).
"""

import logging
from typing import ClassVar

from django import forms
from django.contrib.admin import widgets
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from sharelinks import shares, uploads
from sharelinks.admin.uploadfield import DirectUploadField
from sharelinks.mail import Addressee, recipients_clean
from sharelinks.models import Share

logger = logging.getLogger(__name__)

# Where a service error belongs on the add form, by its code; the rest go on the form.
_ERROR_FIELDS = {
    "expiry_past": "expires_at",
    "expiry_too_late": "expires_at",
    "object_missing": "key",
    "filename_empty": "filename",
    "upload_size": "upload",
}

SAVE_FAILED = _(
    "The file is uploaded and still attached, but the share could not be saved: the "
    "database refused it (%(error)s). Save again; if it keeps failing, tell an operator."
)


# Share fields the add form passes to the service as they are.
TERMS = ["note", "message", "direct_download", "language", "notify_downloads"]


def password_field() -> forms.CharField:
    return forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Optional. Recipients type it on the download page; tell them separately, not "
            "in the same email. Stored as a hash and never shown again."
        ),
    )


class ShareAddForm(forms.ModelForm):
    """Share an uploaded file or an object already in S3: exactly one of the two."""

    upload = DirectUploadField(
        label=_("File"),
        help_text=_(
            "Sent from your browser straight to the bucket, under a new key that nobody can "
            "guess; large files resume where they stopped if you choose them again."
        ),
    )

    share_password = password_field()

    # The admin sets this on the form class it makes for each request: the share's owner
    # unless a superuser picks another one.
    user: ClassVar[AbstractBaseUser | None] = None

    class Meta:
        model = Share
        fields = [
            "bucket", "key", "filename", "expires_at", "max_downloads", "note", "message",
            "direct_download", "language", "notify_downloads", "owner",
        ]  # fmt: skip
        help_texts = {
            "bucket": _("Leave empty for the app's own bucket."),
            "key": _("An object that is already in S3, e.g. reports/2025/q3.pdf."),
            "filename": _("Leave empty to use the uploaded file's name or the key's last part."),
        }

    def __init__(self, *args, pending_upload: dict | None = None, **kwargs) -> None:
        """pending_upload ({"name", "size"}): check the form for a file not yet uploaded.

        Such a form only validates -- nothing is created -- so the page can show its errors
        before the first byte is sent.
        """
        super().__init__(*args, **kwargs)
        self.pending_upload = pending_upload
        for name in ("bucket", "key", "filename", "owner"):
            if name in self.fields:
                self.fields[name].required = False
        self.fields["upload"].widget.user_key = getattr(self.user, "pk", "")

    def clean_upload(self) -> uploads.Upload | None:
        handle = self.cleaned_data.get("upload")
        if not handle or self.pending_upload is not None:
            return None
        return uploads.uploaded_file(owner=self.user, handle=handle)

    def clean(self) -> dict:
        cleaned = super().clean()
        has_upload = bool(cleaned.get("upload")) or self.pending_upload is not None
        has_key = bool(cleaned.get("key"))
        if not has_upload and not has_key and not self._errors_on("upload", "key"):
            raise ValidationError(
                _("Choose what to share: upload a file, or name an object already in S3."),
                code="source_missing",
            )
        if has_upload and has_key:
            raise ValidationError(
                _("Upload a file or name an object already in S3, not both."),
                code="source_both",
            )
        if has_upload and cleaned.get("bucket"):
            self.add_error("bucket", _("Uploads always go to the app's own bucket."))
        return cleaned

    def _errors_on(self, *names: str) -> bool:
        return any(name in self.errors for name in names)

    def _post_clean(self) -> None:
        # The service validates the whole share (model rules included) and saves it, so
        # the model form's own instance validation is replaced, not repeated.
        if self.pending_upload is not None:
            self._pending_check()  # every error at once: nothing is created here
            return
        if self.errors:
            return
        try:
            with transaction.atomic():  # a refused INSERT leaves the admin's transaction usable
                self.instance = self._share_create()
        except ValidationError as err:
            self._add_service_error(err)
        except DatabaseError as err:
            upload = self.cleaned_data.get("upload")
            if upload is None:
                raise
            # Kept, not deleted: the handle stays in the form, so saving again shares it.
            logger.warning("share of uploaded %s not saved, file kept: %s", upload.key, err)
            params = {"error": type(err).__name__}
            self.add_error(None, ValidationError(SAVE_FAILED, code="database", params=params))

    def _pending_check(self) -> None:
        data, pending = self.cleaned_data, self.pending_upload
        try:
            uploads.upload_terms_check(
                name=pending["name"],
                size=pending["size"],
                filename=data.get("filename") or "",
                expires_at=data.get("expires_at"),
            )
        except ValidationError as err:
            self._add_service_error(err)

    def _share_create(self) -> Share:
        data = self.cleaned_data
        common = {
            "owner": data.get("owner") or self.user,
            "filename": data.get("filename") or None,
            "expires_at": data.get("expires_at"),
            "max_downloads": data.get("max_downloads"),
            "password": data.get("share_password") or "",
            **{name: data.get(name) or None for name in TERMS if name != "direct_download"},
            "direct_download": bool(data.get("direct_download")),
        }
        upload = data.get("upload")
        if upload:
            common["filename"] = common["filename"] or upload.filename
            return shares.share_create(key=upload.key, uploaded=True, **common)
        return shares.share_create(key=data["key"], bucket=data.get("bucket") or None, **common)

    def _add_service_error(self, err: ValidationError) -> None:
        if hasattr(err, "error_dict"):
            for name, errors in err.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
            return
        uploading = self.cleaned_data.get("upload") or self.pending_upload is not None
        source = "upload" if uploading else "key"
        field = _ERROR_FIELDS.get(err.code or "", source)
        if field == "filename" and not self.cleaned_data.get("filename"):
            field = source  # the name came from the upload or the key, not the field
        self.add_error(field if field in self.fields else NON_FIELD_ERRORS, err)


class ShareChangeForm(forms.ModelForm):
    """Edit what may change after creation; a new expiry obeys the same limits as a new share."""

    new_password = password_field()
    remove_password = forms.BooleanField(label=_("Remove the password"), required=False)

    class Meta:
        model = Share
        fields = [
            "filename", "expires_at", "max_downloads", "note", "message", "direct_download",
            "general_link", "language", "owner",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password"].label = _("Set or replace the password")
        if not self.instance.has_password:
            del self.fields["remove_password"]

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or self.instance.language

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("new_password") and cleaned.get("remove_password"):
            raise ValidationError(
                _("Either type a new password or remove it."), code="password_both"
            )
        if {"expires_at", "max_downloads"} & set(self.changed_data):
            shares.file_kept_validate(self.instance)  # a later end would serve nothing
        return cleaned

    def clean_filename(self) -> str:
        return shares.filename_clean(self.cleaned_data["filename"])

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if "expires_at" in self.changed_data:
            shares.expiry_validate(expires_at)
        return expires_at


class ShareExtendForm(forms.Form):
    """The intermediate page of the "extend" action: just the new expiry."""

    expires_at = forms.SplitDateTimeField(
        label=_("New expiry"),
        widget=widgets.AdminSplitDateTime,
        help_text=_("The links stay the same; they work until this moment."),
    )


class RecipientsField(forms.CharField):
    """Email addresses separated by commas or lines; every bad one is a form error.

    recipients_clean refuses text past its limit before reading it. No maxlength on the
    textarea: a browser would cut a long paste silently, dropping addresses unseen.
    """

    widget = forms.Textarea(attrs={"rows": 2, "cols": 60})

    def clean(self, value: str) -> list[Addressee]:
        value = super().clean(value)
        return recipients_clean(value) if value else []


def recipients_field(required: bool) -> RecipientsField:
    return RecipientsField(
        label=_("Email the link to"),
        required=required,
        # The admin prints help text as HTML: escaped, "<address>" would be an unknown tag.
        help_text=escape(
            _(
                "One or more addresses, separated by commas, semicolons or new lines; "
                "“Name <address>” as mail programs copy it is fine."
            )
        ),
    )


def message_field() -> forms.CharField:
    return forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Goes into the email, above the link; empty: the share's own message."),
    )


class SendLinkForm(forms.Form):
    """The "Send link…" page: who gets the link, and what the email says."""

    recipients = recipients_field(required=True)
    message = message_field()
