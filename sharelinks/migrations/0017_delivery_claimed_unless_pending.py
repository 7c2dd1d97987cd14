"""An email row's claim stamp is null exactly while the row is pending.

The outbox has always kept it so (a claim sets it, a retry's return to pending clears it,
sent and failed keep it); the outbox now finds claimable rows by it, without the status
index, whose entries for old versions of the rows made every claim read past thousands of
dead ones under a burst of emails. The check makes it a fact of the database, added
without stopping the clicks that write email rows.
"""

from django.db import migrations, models

from sharelinks.migrations._without_blocking import AddCheckWithoutBlocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sharelinks", "0016_delivery_indexes_where_set"),
    ]

    operations = [
        AddCheckWithoutBlocking(
            model_name="delivery",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("claimed_at__isnull", True), ("status", "pending")),
                    models.Q(
                        models.Q(("status", "pending"), _negated=True),
                        ("claimed_at__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="delivery_claimed_unless_pending",
            ),
        ),
    ]
