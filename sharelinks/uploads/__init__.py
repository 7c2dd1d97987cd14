"""Uploads from the staff's browser straight to S3: the web process never handles the bytes.

With JavaScript, a multipart upload whose parts the server presigns one by one (resumable,
any size up to 5 TiB); without it, one presigned POST form (up to 5 GB). Either way the
upload ends with a signed handle for the finished file, which the add form turns into a
share. The maintenance job aborts uploads that were never finished.
"""

from sharelinks.uploads.browserless import POST_MAX_SIZE, upload_form, upload_form_returned
from sharelinks.uploads.cleanup import uploads_abort_stale
from sharelinks.uploads.cors import cors_problem, cors_rules
from sharelinks.uploads.handles import Upload, handle_peek
from sharelinks.uploads.multipart import (
    MAX_PARTS,
    MAX_SIZE,
    Started,
    part_size,
    upload_abort,
    upload_complete,
    upload_part_url,
    upload_parts,
    upload_start,
    upload_terms_check,
    uploaded_file,
)

__all__ = [
    "MAX_PARTS",
    "MAX_SIZE",
    "POST_MAX_SIZE",
    "Started",
    "Upload",
    "cors_problem",
    "cors_rules",
    "handle_peek",
    "part_size",
    "upload_abort",
    "upload_complete",
    "upload_form",
    "upload_form_returned",
    "upload_part_url",
    "upload_parts",
    "upload_start",
    "upload_terms_check",
    "uploaded_file",
    "uploads_abort_stale",
]
