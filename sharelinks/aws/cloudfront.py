"""CloudFront signed URLs: the second signer, for files served through a distribution.

A CloudFront URL is signed with a CloudFront key pair, not with AWS credentials: nothing in
it comes from STS, so no role's expiry can cut it short. The distribution reaches the bucket
with origin access control (OAC, signed requests); it must forward the query string to the
origin (an origin request policy passing all query strings) so that S3 sees
response-content-disposition and the file downloads under its own name.

botocore's CloudFrontSigner builds the URL; the RSA
signature comes from `cryptography`.
"""

import functools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.exceptions import ImproperlyConfigured

from sharelinks.conf import app_settings
from sharelinks.disposition import content_disposition


def domain() -> str:
    """The distribution's host name, without scheme or slashes, as configured."""
    value = app_settings.CLOUDFRONT_DOMAIN.strip()
    return value.removeprefix("https://").removeprefix("http://").strip("/")


def _pem_text() -> bytes:
    text = app_settings.CLOUDFRONT_PRIVATE_KEY
    path = app_settings.CLOUDFRONT_PRIVATE_KEY_FILE
    if text and path:
        raise ImproperlyConfigured(
            "Set SHARELINKS_CLOUDFRONT_PRIVATE_KEY or SHARELINKS_CLOUDFRONT_PRIVATE_KEY_FILE, "
            "not both"
        )
    if text:
        # Environments that cannot hold newlines carry the PEM with literal "\n".
        return (text if "\n" in text else text.replace("\\n", "\n")).encode()
    if path:
        try:
            return Path(path).read_bytes()
        except OSError as err:
            raise ImproperlyConfigured(
                f"SHARELINKS_CLOUDFRONT_PRIVATE_KEY_FILE cannot be read: {err.strerror}"
            ) from err
    raise ImproperlyConfigured(
        "No CloudFront private key: set SHARELINKS_CLOUDFRONT_PRIVATE_KEY (PEM text) or "
        "SHARELINKS_CLOUDFRONT_PRIVATE_KEY_FILE"
    )


@functools.lru_cache(maxsize=4)
def _load_key(pem: bytes) -> rsa.RSAPrivateKey:
    # Parsing a PEM costs a millisecond; the key is kept per PEM so a changed setting
    # (tests, a rotated secret read at start) is never answered with the old key.
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as err:
        raise ImproperlyConfigured(
            f"The CloudFront private key is not an unencrypted PEM private key: {err}"
        ) from err
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured("The CloudFront private key must be an RSA key (2048 bits)")
    return key


def private_key() -> rsa.RSAPrivateKey:
    """The configured RSA private key; ImproperlyConfigured names what is wrong."""
    return _load_key(_pem_text())


def _rsa_sha1_signer(key: rsa.RSAPrivateKey):
    def sign(message: bytes) -> bytes:
        # SHA-1 is what CloudFront verifies for signed URLs unless told otherwise; the
        # signature is RSA over it, and a forgery needs a second preimage, not a collision.
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303

    return sign


def signed_url(
    *, key: str, filename: str, content_type: str, expires_in: int, now: datetime | None = None
) -> str:
    """A CloudFront URL for the object key, valid expires_in seconds, saved under filename.

    The canned policy signs the whole URL, query included, so the disposition and type
    cannot be changed by whoever holds the URL.
    """
    query = {"response-content-disposition": content_disposition(filename)}
    if content_type:
        query["response-content-type"] = content_type
    url = f"https://{domain()}/{quote(key)}?{urlencode(query, quote_via=quote)}"
    expires_at = (now or datetime.now(UTC)) + timedelta(seconds=expires_in)
    signer = CloudFrontSigner(app_settings.CLOUDFRONT_KEY_ID, _rsa_sha1_signer(private_key()))
    return signer.generate_presigned_url(url, date_less_than=expires_at)
