"""Who signs the URL a click is redirected to: S3 presigning (default) or CloudFront."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sharelinks import cloudfront, s3
from sharelinks.conf import app_settings

SIGNERS = ("s3", "cloudfront")


def download_url(
    *, bucket: str, key: str, filename: str, content_type: str, expires_in: int
) -> str:
    """A URL that serves the object for at most expires_in seconds, saved under filename.

    A CloudFront distribution serves one bucket, AWS_STORAGE_BUCKET_NAME; a share kept in
    another bucket is presigned by S3 as before. Raises s3.StorageUnavailable when no URL
    can be signed right now (the click answers 503 and is not counted).
    """
    signer = app_settings.SIGNER
    if signer == "cloudfront" and bucket == settings.AWS_STORAGE_BUCKET_NAME:
        try:
            return cloudfront.signed_url(
                key=key, filename=filename, content_type=content_type, expires_in=expires_in
            )
        except ImproperlyConfigured as err:
            # `manage.py check` names this at start; a click must still get a page, not a 500.
            raise s3.StorageUnavailable(f"CloudFront signing is misconfigured: {err}") from err
    if signer not in SIGNERS:
        raise s3.StorageUnavailable(f"SHARELINKS_SIGNER={signer!r}: use one of {SIGNERS}")
    return s3.presigned_get_url(
        bucket=bucket, key=key, filename=filename, content_type=content_type, expires_in=expires_in
    )
