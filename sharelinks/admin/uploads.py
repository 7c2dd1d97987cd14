"""The admin's upload endpoints: the add form's check, the multipart steps, the no-script page.

The multipart steps speak the protocol of Uppy's Companion server for S3 (JSON, under
upload/s3/multipart), which @uppy/aws-s3 drives: the server starts, lists, completes and
aborts each upload itself and presigns every part, so the browser talks to S3 only to PUT
parts. Every endpoint is the admin's own view: staff only, CSRF-checked on POST and DELETE,
and each step accepts only a handle signed for the same staff member (sharelinks.uploads).
"""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sharelinks import uploads

# What each refusal of the upload service is, to the uploader on the page.
_STATUS = {
    "upload_not_yours": 403,
    "upload_gone": 404,
    "storage_error": 502,
    "storage_unavailable": 503,
}


def _refused(err: ValidationError) -> JsonResponse:
    status = _STATUS.get(getattr(err, "code", None) or "", 400)
    return JsonResponse({"error": " ".join(err.messages)}, status=status)


def _json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class UploadAdminMixin:
    """Adds the upload endpoints to ShareAdmin, and lets the add page start with a file."""

    def get_urls(self) -> list:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        multipart = "upload/s3/multipart"
        urls = [
            path("upload/", view(self.upload_page_view), name=f"{info}_upload"),
            path("upload/returned/", view(self.upload_returned_view), name=f"{info}_upload_done"),
            path("upload/check/", view(self.upload_check_view), name=f"{info}_upload_check"),
            path(multipart, view(self.multipart_start_view)),
            # S3 does not promise upload ids without "/": a path converter takes any, and
            # the two longer routes come first.
            path(f"{multipart}/<path:upload_id>/complete", view(self.multipart_complete_view)),
            path(f"{multipart}/<path:upload_id>/<int:part>", view(self.multipart_part_view)),
            path(f"{multipart}/<path:upload_id>", view(self.multipart_view)),
        ]
        return urls + super().get_urls()

    def upload_initial(self, request: HttpRequest) -> dict:
        """The add page's initial upload: the handle the no-script page came back with."""
        handle = request.GET.get("upload", "")
        return {"upload": handle} if handle else {}

    # -- before the first byte ---------------------------------------------------------

    def upload_check_view(self, request: HttpRequest) -> HttpResponse:
        """Validate the add form as it will be saved, the file aside; the part size if valid.

        The page posts every field but the file, plus the file's name and size, so a past
        expiry or a bad address is shown before anything is sent, the file still chosen.
        """
        if request.method != "POST":
            return JsonResponse({"error": "POST only"}, status=405)
        if not self.has_add_permission(request):
            return JsonResponse({"error": _("You may not add shares.")}, status=403)
        try:
            size = int(request.POST.get("upload_size", ""))
        except ValueError:
            return JsonResponse({"error": "upload_size: not a number"}, status=400)
        pending = {"name": request.POST.get("upload_name", ""), "size": size}
        form = self.get_form(request, None)(request.POST, pending_upload=pending)
        if form.is_valid():
            return JsonResponse({"part_size": uploads.part_size(size)})
        errors = {field: list(found) for field, found in form.errors.items()}
        count = sum(len(found) for found in errors.values())
        note = ngettext(
            "Please correct the error below.", "Please correct the errors below.", count
        )
        return JsonResponse({"errors": errors, "note": note}, status=400)

    # -- the multipart steps (Uppy's Companion protocol) -------------------------------

    def _allowed(self, request: HttpRequest) -> JsonResponse | None:
        if self.has_add_permission(request):
            return None
        return JsonResponse({"error": _("You may not add shares.")}, status=403)

    def multipart_start_view(self, request: HttpRequest) -> HttpResponse:
        """POST {filename, type}: start an upload under a key the server chooses."""
        if request.method != "POST":
            return JsonResponse({"error": "POST only"}, status=405)
        if refused := self._allowed(request):
            return refused
        body = _json_body(request)
        try:
            started = uploads.upload_start(
                owner=request.user,
                name=str(body.get("filename") or ""),
                content_type=str(body.get("type") or "")[:255],
            )
        except ValidationError as err:
            return _refused(err)
        # Uppy hands the key back on every later step: the handle takes its place.
        return JsonResponse({"uploadId": started.upload_id, "key": started.handle})

    def multipart_view(self, request: HttpRequest, upload_id: str) -> HttpResponse:
        """GET: the parts stored so far (to resume); DELETE: cancel the upload."""
        if refused := self._allowed(request):
            return refused
        step = {"owner": request.user, "handle": request.GET.get("key", ""), "upload_id": upload_id}
        try:
            if request.method == "GET":
                return JsonResponse(uploads.upload_parts(**step), safe=False)
            if request.method == "DELETE":
                uploads.upload_abort(**step)
                return JsonResponse({})
        except ValidationError as err:
            return _refused(err)
        return JsonResponse({"error": "GET or DELETE only"}, status=405)

    def multipart_part_view(self, request: HttpRequest, upload_id: str, part: int) -> HttpResponse:
        """GET: a presigned PUT for one part, signed now, short-lived."""
        if request.method != "GET":
            return JsonResponse({"error": "GET only"}, status=405)
        if refused := self._allowed(request):
            return refused
        try:
            url = uploads.upload_part_url(
                owner=request.user,
                handle=request.GET.get("key", ""),
                upload_id=upload_id,
                part_number=part,
            )
        except ValidationError as err:
            return _refused(err)
        return JsonResponse({"url": url})

    def multipart_complete_view(self, request: HttpRequest, upload_id: str) -> HttpResponse:
        """POST {parts}: join the parts; the answer's key is the handle the form submits."""
        if request.method != "POST":
            return JsonResponse({"error": "POST only"}, status=405)
        if refused := self._allowed(request):
            return refused
        try:
            handle = uploads.upload_complete(
                owner=request.user,
                handle=request.GET.get("key", ""),
                upload_id=upload_id,
                parts=_json_body(request).get("parts"),
            )
        except ValidationError as err:
            return _refused(err)
        return JsonResponse({"location": "", "key": handle})

    # -- without JavaScript ------------------------------------------------------------

    def upload_page_view(self, request: HttpRequest) -> HttpResponse:
        """A plain form that POSTs the file to S3, which sends the browser back here."""
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        back = request.build_absolute_uri(reverse(f"admin:{info}_upload_done"))
        try:
            post = uploads.upload_form(owner=request.user, return_url=back)
        except ValidationError as err:
            post = None
            messages.error(request, " ".join(err.messages))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload a file"),
            "opts": self.opts,
            "post": post,
            "max_size": uploads.POST_MAX_SIZE,
        }
        return TemplateResponse(request, "admin/sharelinks/share/upload.html", context)

    def upload_returned_view(self, request: HttpRequest) -> HttpResponse:
        """Where S3 sends the browser after the POST: on to the add form, file attached."""
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        try:
            handle = uploads.upload_form_returned(
                owner=request.user,
                ticket=request.GET.get("ticket", ""),
                key=request.GET.get("key", ""),
            )
        except ValidationError as err:
            messages.error(request, " ".join(err.messages))
            return HttpResponseRedirect(reverse(f"admin:{info}_upload"))
        add = reverse(f"admin:{info}_add")
        return HttpResponseRedirect(f"{add}?{urlencode({'upload': handle})}")
