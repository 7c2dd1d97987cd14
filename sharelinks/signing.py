"""Who signs the URL a click is redirected to: S3 presigning (default) or CloudFront."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sharelinks import aws
from sharelinks.aws import cloudfront
from sharelinks.conf import app_settings

SIGNERS = ("s3", "cloudfront")


def download_url(
    *, bucket: str, key: str, filename: str, content_type: str, expires_in: int
) -> str:
    """A URL that serves the object for at most expires_in seconds, saved under filename.

    A CloudFront distribution serves one bucket, AWS_STORAGE_BUCKET_NAME; a share kept in
    another bucket is presigned by S3 as before. Raises aws.StorageUnavailable when no URL
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
            raise aws.StorageUnavailable(f"CloudFront signing is misconfigured: {err}") from err
    if signer not in SIGNERS:
        raise aws.StorageUnavailable(f"SHARELINKS_SIGNER={signer!r}: use one of {SIGNERS}")
    return aws.presigned_get_url(
        bucket=bucket, key=key, filename=filename, content_type=content_type, expires_in=expires_in
    )


def cloudfront_key_problem() -> str:
    """Why the configured CloudFront private key cannot sign, or "" when it can."""
    try:
        cloudfront.private_key()
    except ImproperlyConfigured as err:
        return str(err)
    return ""
