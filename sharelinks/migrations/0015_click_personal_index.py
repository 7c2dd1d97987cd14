"""The click log's index by person covers only the clicks through a personal link.

Most clicks come through a share's general link, without a person, and each wrote an entry
for "no person" into this index: one more index insert per click that no query reads (a
lookup by person, or a person's deletion, always names one). The partial index replaces it,
built before the old one is dropped, both without blocking clicks.
"""

from django.db import migrations, models

from sharelinks.migrations._without_blocking import (
    AddIndexWithoutBlocking,
    RemoveIndexWithoutBlocking,
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sharelinks", "0014_room_for_counts"),
    ]

    operations = [
        AddIndexWithoutBlocking(
            model_name="click",
            index=models.Index(
                condition=models.Q(recipient__isnull=False),
                fields=["recipient", "-at"],
                name="click_personal_recent",
            ),
        ),
        RemoveIndexWithoutBlocking(model_name="click", name="click_recipient_recent"),
    ]
