"""Each send of a link is a row of its own; only one may be on its way to an address.

Sending a link again used to reset the recipient's one row, so the new email reused the
first one's Message-ID (mail programs then hide it as a duplicate) and the record of the
first send was lost. The display name staff pasted is kept for the To: header.
"""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Lower

ON_ITS_WAY = ["pending", "sending"]


def settle_case_twins(apps, schema_editor):
    """Rows on their way to one address in two spellings (Ann@, ann@) cannot both stay so
    under the new constraint: the oldest goes on, the others are marked failed as repeats."""
    delivery = apps.get_model("sharelinks", "Delivery")
    seen = set()
    rows = (
        delivery.objects.filter(kind="link", status__in=ON_ITS_WAY)
        .annotate(address=Lower("recipient"))
        .order_by("created_at", "pk")
    )
    for row in rows:
        if (row.share_id, row.address) in seen:
            delivery.objects.filter(pk=row.pk).update(
                status="failed", last_error="not sent: repeats another email to this address"
            )
        seen.add((row.share_id, row.address))


class Migration(migrations.Migration):

    dependencies = [
        ('sharelinks', '0006_click_recipient_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='delivery',
            name='delivery_link_once_per_recipient',
        ),
        migrations.AddField(
            model_name='delivery',
            name='recipient_name',
            field=models.CharField(blank=True, max_length=200, verbose_name="recipient's name"),
        ),
        migrations.RunPython(settle_case_twins, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='delivery',
            constraint=models.UniqueConstraint(models.F('share'), django.db.models.functions.text.Lower('recipient'), condition=models.Q(('kind', 'link'), ('status__in', ['pending', 'sending'])), name='delivery_link_one_on_its_way'),
        ),
    ]
