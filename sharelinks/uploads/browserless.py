"""Uploads from a browser without JavaScript: one HTML form that POSTs the file to S3 itself.

S3's presigned POST policy fixes the key prefix (the file keeps its own name under it, S3's
${filename}), the size range and where S3 sends the browser afterwards: back to the admin
with a ticket signed for this staff member and that prefix. The bytes still never pass
through the web process. A POST carries at most 5 GB; bigger files need the multipart
upload, which needs JavaScript.
"""

import base64
import json
import logging
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from sharelinks import aws, shares
from sharelinks.conf import app_settings
from sharelinks.uploads.errors import object_gone, storage_errors
from sharelinks.uploads.handles import Upload, handle_make, handle_read

logger = logging.getLogger(__name__)

POST_MAX_SIZE = 5 * 1024**3  # S3 refuses a POST above 5 GB (binary gigabytes, as for PUT)


def upload_form(*, owner: AbstractBaseUser, return_url: str) -> dict:
    """The form's action, hidden fields and deadline: {"url", "fields", "expires_at"}.

    return_url is the admin page S3 sends the browser to afterwards; a ticket for this
    upload is added to it, and S3 adds the bucket, key and ETag.
    """
    prefix = f"{app_settings.UPLOAD_PREFIX}{secrets.token_urlsafe(12)}/"
    ticket = handle_make("form", Upload(key=prefix, filename=""), owner)
    separator = "&" if "?" in return_url else "?"
    redirect = f"{return_url}{separator}{urlencode({'ticket': ticket})}"
    started = timezone.now()
    with storage_errors(f"sign an upload form for {prefix}"):
        post = aws.presigned_post(
            bucket=shares.default_bucket(),
            key=prefix + "${filename}",
            prefix=prefix,
            max_size=POST_MAX_SIZE,
            redirect=redirect,
            expires_in=app_settings.UPLOAD_FORM_TTL,
        )
    post["expires_at"] = _policy_expiry(post) or started + timedelta(
        seconds=app_settings.UPLOAD_FORM_TTL
    )
    return post


def _policy_expiry(post: dict) -> datetime | None:
    """When S3 stops taking the form: the policy's own expiration (credential-capped)."""
    try:
        policy = json.loads(base64.b64decode(post["fields"]["policy"]))
        return datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None


def upload_form_returned(*, owner: AbstractBaseUser, ticket: str, key: str) -> str:
    """The file's handle for the key S3 stored, if it lies under the ticket's own prefix."""
    prefix = handle_read("form", ticket, owner).key
    name = key[len(prefix) :] if key.startswith(prefix) else ""
    if not name or "/" in name:
        raise ValidationError(
            _("S3 named a file this upload did not make; upload the file again."),
            code="upload_invalid",
        )
    bucket = shares.default_bucket()
    with storage_errors(f"HEAD {key}"):
        info = aws.object_head(bucket=bucket, key=key)
    if info is None:
        raise object_gone()
    logger.info("form upload to s3://%s/%s by user %s: %d bytes", bucket, key, owner.pk, info.size)
    filename = shares.filename_clean(name)
    return handle_make("file", Upload(key=key, filename=filename, size=info.size), owner)
