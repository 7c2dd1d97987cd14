"""How S3's answers about an upload reach staff: ValidationErrors with a code per cause.

The admin shows them on the form or maps the code to an HTTP status for the uploader
(upload_gone 404, storage_unavailable 503, storage_error 502); entry points never see
the aws package's exceptions.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sharelinks import aws

logger = logging.getLogger("sharelinks.uploads")


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """S3's refusals as form-style errors the admin can show; the code says which."""
    try:
        yield
    except aws.UploadGone as err:
        logger.info("%s: %s", what, err)
        raise ValidationError(
            _("S3 no longer has this upload (cancelled, or unfinished for too long); upload "
              "the file again."),
            code="upload_gone",
        ) from err  # fmt: skip
    except aws.StorageUnavailable as err:
        logger.warning("%s: %s", what, err)
        raise ValidationError(
            _("S3 cannot be reached right now; try again in a minute."),
            code="storage_unavailable",
        ) from err
    except aws.StorageError as err:
        logger.error("%s: %s", what, err)
        raise ValidationError(str(err), code="storage_error") from err


def object_gone() -> ValidationError:
    """The error for a finished upload whose object is not in the bucket."""
    return ValidationError(
        _("The uploaded file is no longer in the bucket; upload it again."), code="upload_gone"
    )
