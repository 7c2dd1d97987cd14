"""The one seam to AWS: the only package that imports boto3, botocore or django-storages' S3.

Services ask it for "a URL for this object, valid this long", "what is this object", "store
this upload", "sign this part" or "where do the credentials come from"; entry points never
import it.
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
from sharelinks.aws.listing import object_keys
from sharelinks.aws.s3 import (
    ObjectInfo,
    bucket_create,
    bucket_status,
    object_delete,
    object_head,
    object_upload,
    presigned_get_url,
)
from sharelinks.aws.uploads import (
    PendingUpload,
    UploadGone,
    bucket_cors,
    bucket_cors_set,
    multipart_abort,
    multipart_complete,
    multipart_create,
    multipart_pending,
    part_url,
    parts_list,
    presigned_post,
)
from sharelinks.aws.watch import credentials_problem

__all__ = [
    "CredentialStatus",
    "ObjectInfo",
    "PendingUpload",
    "StorageError",
    "StorageUnavailable",
    "UploadGone",
    "bucket_cors",
    "bucket_cors_set",
    "bucket_create",
    "bucket_status",
    "client_description",
    "client_reset",
    "credential_status",
    "credentials_problem",
    "get_client",
    "get_session",
    "multipart_abort",
    "multipart_complete",
    "multipart_create",
    "multipart_pending",
    "object_delete",
    "object_head",
    "object_keys",
    "object_upload",
    "part_url",
    "parts_list",
    "presigned_get_url",
    "presigned_post",
    "use_credentials",
]
