"""The one seam to AWS: the only package that imports boto3, botocore or django-storages' S3.

Services ask it for "a URL for this object, valid this long", "what is this object", "store
this upload" or "where do the credentials come from"; entry points never import it.
"""

from sharelinks.aws.client import (
    CredentialStatus,
    StorageError,
    StorageUnavailable,
    client_description,
    client_reset,
    credential_status,
    get_client,
    get_session,
    use_credentials,
)
from sharelinks.aws.s3 import (
    ObjectInfo,
    bucket_create,
    bucket_status,
    object_delete,
    object_head,
    object_upload,
    presigned_get_url,
)

__all__ = [
    "CredentialStatus",
    "ObjectInfo",
    "StorageError",
    "StorageUnavailable",
    "bucket_create",
    "bucket_status",
    "client_description",
    "client_reset",
    "credential_status",
    "get_client",
    "get_session",
    "object_delete",
    "object_head",
    "object_upload",
    "presigned_get_url",
    "use_credentials",
]
