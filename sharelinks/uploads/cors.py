"""The bucket's CORS rule that browser uploads need, and whether the bucket has it.

The admin page PUTs each part to the bucket from its own origin, and reads the part's ETag
from S3's answer to complete the upload. Browsers allow both only when the bucket's CORS
configuration allows PUT from that origin and exposes ETag. Nothing else is sent from
scripts: starting, listing, completing and aborting go through the server, and the form
for browsers without JavaScript is a plain navigation, which CORS does not govern.
"""

from fnmatch import fnmatchcase

from sharelinks import aws


def cors_rules(*origins: str) -> list[dict]:
    """The CORS configuration's rules for an admin served from origins (https://host[:port])."""
    return [
        {
            "AllowedOrigins": list(origins),
            "AllowedMethods": ["PUT"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 3600,
        }
    ]


def _allows(rule: dict, origin: str) -> bool:
    # S3 allows one "*" wildcard in an origin, e.g. https://*.example.com.
    origins = rule.get("AllowedOrigins", [])
    methods = rule.get("AllowedMethods", [])
    return "PUT" in methods and any(fnmatchcase(origin, allowed) for allowed in origins)


def cors_problem(origin: str, rules: list[dict] | None = None) -> str:
    """What stops a browser on origin from uploading, or "" when nothing does.

    Reads the bucket's rules (GetBucketCors) unless given; raises aws.StorageError when
    they cannot be read.
    """
    if rules is None:
        rules = aws.bucket_cors()
    if not rules:
        return "the bucket has no CORS rules: browsers cannot upload to it"
    allowing = [rule for rule in rules if _allows(rule, origin)]
    if not allowing:
        return f"no CORS rule allows PUT from {origin}: browsers cannot upload parts"
    # S3 applies the first rule that matches, so that one must expose the ETag.
    exposed = {header.lower() for header in allowing[0].get("ExposeHeaders", [])}
    if "etag" not in exposed:
        return (
            f"the CORS rule allowing PUT from {origin} does not expose ETag: "
            "uploads fail after the first part"
        )
    return ""
