"""Index and constraint operations that never stop clicks: CONCURRENTLY (indexes) or NOT
VALID and then VALIDATE (checks) on PostgreSQL, plain elsewhere.

On PostgreSQL a plain CREATE or DROP INDEX on the click table takes a lock that stops every
INSERT into it -- every click -- until it is done; the CONCURRENTLY forms do not, but cannot
run inside a transaction, so a migration using these sets atomic = False. Other databases
get the plain operation. (A module of helpers: the leading underscore keeps Django's
migration loader from reading it as a migration.)
"""

from django.contrib.postgres.operations import (
    AddConstraintNotValid,
    AddIndexConcurrently,
    NotInTransactionMixin,
    RemoveIndexConcurrently,
    ValidateConstraint,
)
from django.db import migrations


class _PlainElsewhere:
    """The CONCURRENTLY operation on PostgreSQL; elsewhere the plain one it extends
    (AddIndex, RemoveIndex: next after NotInTransactionMixin in the class's order)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._operation(schema_editor).database_forwards(
            app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._operation(schema_editor).database_backwards(
            app_label, schema_editor, from_state, to_state
        )

    def _operation(self, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            return super()
        return super(NotInTransactionMixin, self)


class AddIndexWithoutBlocking(_PlainElsewhere, AddIndexConcurrently):
    """AddIndexConcurrently on PostgreSQL, AddIndex elsewhere."""


class RemoveIndexWithoutBlocking(_PlainElsewhere, RemoveIndexConcurrently):
    """RemoveIndexConcurrently on PostgreSQL, RemoveIndex elsewhere."""


def foreign_key_indexes_dropped(model_name: str, fields: tuple[str, ...]) -> migrations.RunPython:
    """Drop the indexes Django made for these foreign keys of the model (concurrently on
    PostgreSQL); undone by making them again.

    For a migration whose state sets db_index=False on them: Django's AlterField would drop
    and re-add each foreign key instead, re-checking every row under a lock.
    """

    def names(apps, schema_editor):
        model = apps.get_model("sharelinks", model_name)
        for name in fields:
            field = model._meta.get_field(name)
            # The name Django gave the foreign key's index when it created the table.
            yield (
                model,
                field,
                schema_editor._create_index_name(model._meta.db_table, [field.column]),
            )

    def drop(apps, schema_editor):
        concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
        for _, _, index in names(apps, schema_editor):
            schema_editor.execute(
                f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(index)}"
            )

    def create(apps, schema_editor):
        for model, field, index in names(apps, schema_editor):
            schema_editor.execute(
                schema_editor._create_index_sql(model, fields=[field], name=index)
            )

    return migrations.RunPython(drop, create)


class AddCheckWithoutBlocking(migrations.AddConstraint):
    """A check constraint that never stops clicks: on PostgreSQL added NOT VALID (a moment's
    lock, no scan) and then validated (a scan that lets reads and writes go on); elsewhere
    AddConstraint. The migration sets atomic = False, or the first step's lock would last
    through the scan."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        for step in (
            AddConstraintNotValid(self.model_name, self.constraint),
            ValidateConstraint(self.model_name, self.constraint.name),
        ):
            step.database_forwards(app_label, schema_editor, from_state, to_state)
