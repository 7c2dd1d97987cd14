"""The add form's file field: a file chooser whose bytes go to S3, and a handle that comes back.

The form itself never carries the file. The chooser has no name, so the browser never sends
it to Django; the page's script uploads it to S3 and puts the finished upload's signed
handle in the hidden input, which is what the form submits. After a failed save the handle
is still there, and the page says which file stays attached.
"""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _

from sharelinks import uploads

STATIC = "sharelinks/uploads/"


def _messages() -> dict[str, str]:
    """What the page's script says, translated here: the script has no catalog of its own."""
    return {
        "checking": _("Checking the form…"),
        "starting": _("Starting the upload…"),
        "resuming": _("Resuming: %(done)s of %(total)s already stored."),
        "progress": _("%(percent)s · %(done)s of %(total)s · %(speed)s/s · %(left)s left"),
        "retrying": _("The connection failed; trying again in %(seconds)s s…"),
        "failed": _("The upload failed (%(error)s). Save again to resume where it stopped."),
        "cancelled": _("Upload cancelled; nothing was stored."),
        "saving": _("Uploaded. Saving the share…"),
        "hours": _("%(h)s h %(m)s min"),
        "minutes": _("%(m)s min %(s)s s"),
        "seconds": _("%(s)s s"),
    }


class DirectUploadWidget(forms.Widget):
    """A file chooser without a name, progress, Cancel, and the hidden handle it fills in."""

    template_name = "admin/sharelinks/share/upload_widget.html"
    user_key = ""  # set per form: saved uploads to resume are kept per staff member

    class Media:
        js = [STATIC + "uppy.min.js", STATIC + "upload.js"]
        css = {"all": [STATIC + "upload.css"]}

    def get_context(self, name: str, value, attrs) -> dict:
        context = super().get_context(name, value, attrs)
        context["widget"]["attached"] = uploads.handle_peek(value) if value else None
        context["widget"]["config"] = {
            "endpoint": reverse("admin:sharelinks_share_upload").rstrip("/"),
            "checkUrl": reverse("admin:sharelinks_share_upload_check"),
            "user": str(self.user_key),
            "messages": _messages(),
        }
        context["widget"]["page_url"] = reverse("admin:sharelinks_share_upload")
        return context

    def value_from_datadict(self, data, files, name: str) -> str:
        return data.get(name, "")


class DirectUploadField(forms.CharField):
    """The finished upload's handle; the form checks it is the staff member's own."""

    widget = DirectUploadWidget

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, **kwargs)
