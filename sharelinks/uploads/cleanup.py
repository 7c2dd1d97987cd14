"""The upkeep of uploads: abort the multipart uploads that were started and never finished.

S3 keeps (and bills) the parts of an unfinished upload until it is completed or aborted.
A closed tab, a cancelled upload whose abort never arrived, a browser that crashed: each
leaves one behind. The maintenance job aborts those older than UPLOAD_ABANDON_AFTER under
the upload prefix (a bucket lifecycle rule with AbortIncompleteMultipartUpload does the
same on S3's side; either alone is enough).
"""

import logging
from datetime import datetime

from django.utils import timezone

from sharelinks import aws, shares
from sharelinks.conf import app_settings
from sharelinks.uploads.errors import storage_errors

logger = logging.getLogger(__name__)


def uploads_abort_stale(*, now: datetime | None = None) -> int:
    """Abort unfinished uploads under UPLOAD_PREFIX started before now - UPLOAD_ABANDON_AFTER.

    Returns how many were aborted. One that S3 finished or dropped meanwhile is skipped;
    a refused abort is logged and left for the next run. Raises ValidationError (code
    storage_unavailable or storage_error) when the uploads cannot be listed at all.
    """
    cutoff = (now or timezone.now()) - app_settings.UPLOAD_ABANDON_AFTER
    bucket = shares.default_bucket()
    prefix = app_settings.UPLOAD_PREFIX
    with storage_errors(f"list the unfinished uploads under {prefix}"):
        pending_uploads = aws.multipart_pending(bucket=bucket, prefix=prefix)
    aborted = 0
    for pending in pending_uploads:
        if pending.initiated >= cutoff:
            continue
        try:
            done = aws.multipart_abort(bucket=bucket, key=pending.key, upload_id=pending.upload_id)
        except aws.StorageError as err:
            logger.warning("could not abort the upload to %s: %s", pending.key, err)
            continue
        if done:
            aborted += 1
            logger.info("aborted the upload to %s started %s", pending.key, pending.initiated)
    if aborted:
        logger.info("aborted %d unfinished uploads older than %s", aborted, cutoff)
    return aborted
