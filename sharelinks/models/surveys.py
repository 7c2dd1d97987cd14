"""What the presence survey last saw of each bucket: when its last complete listing began.

A click trusts this row for every share made before it (sharelinks.presence): the survey
flags the shares whose object it did not find, so an unflagged share listed by a recent
survey has its file. Kept in the database, so every process and host trusts the same answer.
"""

from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

SURVEYED_AT = "surveyed_at"  # the attribute survey_time() annotates a lookup's share with


class BucketSurvey(models.Model):
    """One bucket's last complete listing."""

    bucket = models.CharField(_("bucket"), max_length=63, unique=True)
    listed_at = models.DateTimeField(_("listing began"))
    objects_listed = models.PositiveIntegerField(_("objects listed"), default=0)
    shares_checked = models.PositiveIntegerField(_("shares checked"), default=0)

    class Meta:
        verbose_name = _("bucket survey")
        verbose_name_plural = _("bucket surveys")

    def __str__(self) -> str:
        return f"s3://{self.bucket} listed {self.listed_at:%Y-%m-%d %H:%M}"


def survey_time(bucket_field: str = "bucket") -> Subquery:
    """An annotation: when the share's bucket was last surveyed, read in the same query
    as the share itself (no second round trip on a click)."""
    survey = BucketSurvey.objects.filter(bucket=OuterRef(bucket_field)).values("listed_at")
    return Subquery(survey[:1])
