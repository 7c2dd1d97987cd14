"""The email rows' indexes by sender, person and click cover only the rows that have one.

Most rows lack one or two of them (an owner's email has no sender, a general link's
download no person, a link email no click), and each such row wrote an entry for "none"
into the foreign key's own index: an index insert per email that no lookup reads (a lookup
or a deletion by sender, person or click always names one). Partial indexes replace them,
each built before the old one is dropped, all without blocking: Django's AlterField would
drop and re-add each foreign key, re-checking every row under a lock.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from sharelinks.migrations._without_blocking import (
    AddIndexWithoutBlocking,
    foreign_key_indexes_dropped,
)

FIELDS = ("sender", "person", "click")


def _unindexed(
    name: str, to: str, verbose_name: str, related_name: str = ""
) -> migrations.AlterField:
    """The nullable foreign key as it now is: without an index of its own."""
    return migrations.AlterField(
        model_name="delivery",
        name=name,
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.SET_NULL,
            to=to,
            verbose_name=verbose_name,
            **({"related_name": related_name} if related_name else {}),
        ),
    )


def _where_set(name: str) -> models.Index:
    return models.Index(
        condition=models.Q((f"{name}__isnull", False)), fields=[name], name=f"delivery_{name}"
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sharelinks", "0015_click_personal_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                _unindexed("click", "sharelinks.click", "click"),
                _unindexed("person", "sharelinks.recipient", "person", "deliveries"),
                _unindexed("sender", settings.AUTH_USER_MODEL, "sent by", "+"),
                *(
                    migrations.AddIndex(model_name="delivery", index=_where_set(name))
                    for name in FIELDS
                ),
            ],
            database_operations=[
                *(
                    AddIndexWithoutBlocking(model_name="delivery", index=_where_set(name))
                    for name in FIELDS
                ),
                foreign_key_indexes_dropped("Delivery", FIELDS),
            ],
        ),
    ]
