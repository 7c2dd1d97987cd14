"""Shares remember whether the app uploaded their object, so it may delete it later.

Existing shares whose key lies under SHARELINKS_UPLOAD_PREFIX in the app's own bucket are
taken as uploads: the app made those keys (`<prefix><random>/<name>`), staff name their
own objects elsewhere. Deleting starts only after SHARELINKS_UPLOAD_RETENTION past the
last share's end, so an operator who disagrees has that long to set it higher.
"""

from django.conf import settings
from django.db import migrations, models


def mark_uploads(apps, schema_editor):
    share = apps.get_model("sharelinks", "Share")
    prefix = getattr(settings, "SHARELINKS_UPLOAD_PREFIX", "shares/")
    if not prefix:
        return  # uploads went to the bucket's root: no key tells an upload apart
    uploads = share.objects.filter(key__startswith=prefix)
    if settings.AWS_STORAGE_BUCKET_NAME:
        uploads = uploads.filter(bucket=settings.AWS_STORAGE_BUCKET_NAME)
    uploads.update(uploaded=True)


class Migration(migrations.Migration):

    dependencies = [
        ('sharelinks', '0007_delivery_per_send'),
    ]

    operations = [
        migrations.AddField(
            model_name='share',
            name='file_deleted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='file deleted'),
        ),
        migrations.AddField(
            model_name='share',
            name='uploaded',
            field=models.BooleanField(default=False, editable=False, verbose_name='uploaded through the app'),
        ),
        migrations.RunPython(mark_uploads, migrations.RunPython.noop),
    ]
