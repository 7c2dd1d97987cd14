"""Listing a bucket: which of many objects exist, 1,000 keys a request.

The presence survey (sharelinks.presence) asks this instead of one HEAD per share: a
bucket shared by 200,000 links costs 200 requests, not 200,000.
"""

from collections.abc import Iterator

from botocore.exceptions import ClientError

from sharelinks.aws.client import StorageError, _reaching, get_client

PAGE_SIZE = 1000  # S3's most per ListObjectsV2 request


def object_keys(*, bucket: str, prefix: str = "") -> Iterator[str]:
    """Every key in the bucket under prefix, in S3's order, fetched a page at a time.

    Raises StorageError when S3 refuses (a 403: the credentials lack s3:ListBucket) and
    StorageUnavailable when it cannot be reached; the patient background client is used.
    """
    what = f"LIST s3://{bucket}/{prefix}"
    paginator = get_client(background=True).get_paginator("list_objects_v2")
    pages = iter(
        paginator.paginate(Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": PAGE_SIZE})
    )
    while True:
        try:
            with _reaching(what, operation="ListObjectsV2"):
                page = next(pages, None)
        except ClientError as err:
            status = err.response["ResponseMetadata"]["HTTPStatusCode"]
            if status == 403:
                raise StorageError(
                    f"s3://{bucket}: listing refused (the credentials lack s3:ListBucket)"
                ) from err
            raise StorageError(f"s3://{bucket}: listing answered {status}") from err
        if page is None:
            return
        for item in page.get("Contents", ()):
            yield item["Key"]
