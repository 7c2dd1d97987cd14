"""Who signs the URL a click is redirected to: S3 presigning (default) or CloudFront."""

from urllib.parse import urlsplit

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


_origins: dict[tuple, str] = {}


def download_origin(bucket: str) -> str:
    """The origin (scheme://host[:port]) that download URLs for this bucket lead to.

    The landing page's Content-Security-Policy names it in form-action: Chromium applies
    form-action to the redirect after a form's POST, so 'self' alone would block the
    download. Learnt from one signed URL per bucket and configuration (signing is offline);
    "" when nothing can be signed right now (the download would answer 503 anyway).
    """
    settings_key = (bucket, app_settings.SIGNER, app_settings.CLOUDFRONT_DOMAIN,
                    settings.AWS_S3_ENDPOINT_URL, settings.AWS_S3_ADDRESSING_STYLE,
                    settings.AWS_S3_REGION_NAME)  # fmt: skip
    if settings_key not in _origins:
        try:
            url = download_url(
                bucket=bucket, key="origin", filename="origin", content_type="", expires_in=1
            )
        except aws.StorageUnavailable:
            return ""
        parts = urlsplit(url)
        _origins[settings_key] = f"{parts.scheme}://{parts.netloc}"
    return _origins[settings_key]
