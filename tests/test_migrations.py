"""The schema the models describe is the one the migrations build, forwards and back.

The click path's indexes and the outbox's check changed by hand-written migrations (built
and dropped without blocking clicks on PostgreSQL): these tests hold them to the models
and to their undo.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sharelinks.models import Click, Delivery, DeliveryKind, DeliveryStatus
from tests.factories import ShareFactory


def indexes(model) -> dict[str, list[str]]:
    """The table's indexes that are not constraints: name -> columns."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        name: info["columns"]
        for name, info in found.items()
        if info["index"] and not info["unique"] and not info["primary_key"]
    }


@pytest.mark.django_db
def test_the_models_need_no_migration_the_repository_lacks():
    # Exit status 1 and the missing operations printed when a model changed without one.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def fk_index(model, column: str) -> str:
    """The name Django gives a foreign key's own index."""
    return connection.schema_editor()._create_index_name(model._meta.db_table, [column])


@pytest.mark.django_db(transaction=True)
def test_the_index_migrations_undo_and_redo():
    # What 0013-0016 dropped: the foreign keys' own indexes (click: share; email: sender,
    # person, click) and the click index by person that covered every click.
    dropped = {
        Click: {fk_index(Click, "share_id"), "click_recipient_recent"},
        Delivery: {fk_index(Delivery, f"{name}_id") for name in ("sender", "person", "click")},
    }
    added = {
        Click: {"click_personal_recent"},
        Delivery: {"delivery_sender", "delivery_person", "delivery_click"},
    }
    for model in (Click, Delivery):
        assert added[model] <= set(indexes(model))
        assert not dropped[model] & set(indexes(model))
    try:
        call_command("migrate", "sharelinks", "0012", verbosity=0)
        for model in (Click, Delivery):
            assert dropped[model] <= set(indexes(model))
            assert not added[model] & set(indexes(model))
    finally:
        call_command("migrate", "sharelinks", verbosity=0)
    for model in (Click, Delivery):
        assert added[model] <= set(indexes(model))
        assert not dropped[model] & set(indexes(model))


@pytest.mark.postgres
@pytest.mark.django_db
def test_references_most_rows_lack_are_indexed_only_where_set():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE indexname IN ('click_personal_recent', 'delivery_sender',"
            " 'delivery_person', 'delivery_click')"
        )
        definitions = dict(cursor.fetchall())
    assert definitions["click_personal_recent"].endswith("WHERE (recipient_id IS NOT NULL)")
    for name in ("sender", "person", "click"):
        assert definitions[f"delivery_{name}"].endswith(f"WHERE ({name}_id IS NOT NULL)")


def checks(model) -> set[str]:
    """The table's check constraints, by name."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {name for name, info in found.items() if info["check"]}


@pytest.mark.django_db(transaction=True)
def test_the_claim_check_undoes_and_redoes_over_rows_of_every_state():
    # 0017 holds "pending exactly when unstamped"; rows the outbox wrote before it, in any
    # state, pass it, and on PostgreSQL it ends validated (added NOT VALID first).
    name = "delivery_claimed_unless_pending"
    assert name in checks(Delivery)
    try:
        call_command("migrate", "sharelinks", "0016", verbosity=0)
        assert name not in checks(Delivery)
        share = ShareFactory()
        stamp = timezone.now()
        for status, claimed_at in (
            (DeliveryStatus.PENDING, None),
            (DeliveryStatus.SENDING, stamp),
            (DeliveryStatus.SENT, stamp),
            (DeliveryStatus.FAILED, stamp),
        ):
            Delivery.objects.create(
                share=share, kind=DeliveryKind.LINK, recipient=f"{status}@example.org",
                status=status, claimed_at=claimed_at,
            )  # fmt: skip
    finally:
        with CaptureQueriesContext(connection) as forward:
            call_command("migrate", "sharelinks", verbosity=0)
    assert name in checks(Delivery)
    assert Delivery.objects.count() == 4
    if connection.vendor == "postgresql":
        steps = [q["sql"] for q in forward.captured_queries if f'CONSTRAINT "{name}"' in q["sql"]]
        assert len(steps) == 2
        assert steps[0].startswith('ALTER TABLE "sharelinks_delivery" ADD CONSTRAINT')
        assert steps[0].endswith(" NOT VALID")
        assert steps[1] == f'ALTER TABLE "sharelinks_delivery" VALIDATE CONSTRAINT "{name}"'
        with connection.cursor() as cursor:
            cursor.execute("SELECT convalidated FROM pg_constraint WHERE conname = %s", [name])
            assert cursor.fetchone() == (True,)
