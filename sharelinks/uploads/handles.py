"""Signed handles: how the browser names an upload back to the server, and cannot name another.

The server chooses every key. It hands the browser a handle -- the key, the upload's id and
the staff member it belongs to, signed with SECRET_KEY -- and accepts only handles it
signed for the requesting staff member, no older than UPLOAD_ABANDON_AFTER. So a request
can sign parts of, complete, or share only an upload this same person started; never an
arbitrary key in the bucket. No database row is needed, so any web process can check it.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sharelinks.conf import app_settings

# One salt per stage: a handle for an unfinished upload cannot pass for a finished file.
_SALTS = {
    "multipart": "sharelinks.upload.multipart",
    "file": "sharelinks.upload.file",
    "form": "sharelinks.upload.form",
}


@dataclass(frozen=True)
class Upload:
    """What a handle names: key (or, for a POST form, the prefix) and the file's name."""

    key: str
    filename: str
    upload_id: str = ""
    size: int | None = None


def handle_make(stage: str, upload: Upload, owner: AbstractBaseUser) -> str:
    """A handle for upload at this stage ("multipart", "file" or "form"), for owner only."""
    data = {"k": upload.key, "n": upload.filename, "o": owner.pk}
    if upload.upload_id:
        data["u"] = upload.upload_id
    if upload.size is not None:
        data["s"] = upload.size
    return signing.dumps(data, salt=_SALTS[stage], compress=True)


def _loads(stage: str, handle: str) -> dict:
    max_age = app_settings.UPLOAD_ABANDON_AFTER
    try:
        return signing.loads(handle, salt=_SALTS[stage], max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationError(
            _("This upload is older than %(days)s days and can no longer be used; upload "
              "the file again."),
            code="upload_expired",
            params={"days": max_age.days},
        ) from None  # fmt: skip
    except signing.BadSignature:
        raise ValidationError(
            _("This upload was not made here; upload the file again."), code="upload_invalid"
        ) from None


def handle_read(stage: str, handle: str, owner: AbstractBaseUser) -> Upload:
    """The upload a handle names; ValidationError unless it is valid and owner's own."""
    data = _loads(stage, handle or "")
    if data.get("o") != owner.pk:
        raise ValidationError(
            _("This upload belongs to someone else; upload the file yourself."),
            code="upload_not_yours",
        )
    return Upload(
        key=data["k"], filename=data["n"], upload_id=data.get("u", ""), size=data.get("s")
    )


def handle_peek(handle: str) -> Upload | None:
    """A finished upload's name and size for display, or None; no owner is checked."""
    try:
        data = _loads("file", handle or "")
    except ValidationError:
        return None
    return Upload(key=data["k"], filename=data["n"], size=data.get("s"))
