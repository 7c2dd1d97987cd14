"""An instance made from a statement's row is the one Django's from_db makes from it.

The click builds its share, person and click row this way; anything that reads them
afterwards (the page, the redirect, the admin, a deferred field loaded on access, a save)
must not be able to tell the difference. Models something hooks into are left to from_db.
"""

import pytest
from django.db import connection, models
from django.db.models.signals import post_init
from django.test.utils import isolate_apps

from sharelinks.models import Click, Recipient, Share
from sharelinks.people import person_add_new
from sharelinks.rows import Maker
from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db


def _row(instance, attnames):
    return tuple(getattr(instance, name) for name in attnames)


def _same(made, expected):
    assert type(made) is type(expected)
    assert vars(made).keys() - {"_state"} == vars(expected).keys() - {"_state"}
    for name in vars(expected).keys() - {"_state"}:
        assert getattr(made, name) == getattr(expected, name), name
    assert (made._state.adding, made._state.db) == (expected._state.adding, expected._state.db)
    assert made.get_deferred_fields() == expected.get_deferred_fields()


@pytest.mark.parametrize("model", [Share, Recipient, Click])
def test_every_column_gives_the_instance_from_db_gives(model):
    share = ShareFactory()
    person = person_add_new(share=share, address="ann@example.com", name="Ann")
    source = {Share: share, Recipient: person}.get(model) or Click.objects.create(
        share=share, recipient=person, outcome="redirected", client_ip="203.0.113.0"
    )
    source = model.objects.get(pk=source.pk)
    attnames = [field.attname for field in model._meta.concrete_fields]
    row = _row(source, attnames)

    made = Maker(model, attnames)(row, connection.alias)

    _same(made, model.from_db(connection.alias, attnames, list(row)))
    assert made == source
    assert made.get_deferred_fields() == set()


def test_some_columns_leave_the_others_deferred_and_loaded_on_first_access():
    share = ShareFactory(filename="report.pdf", max_downloads=4)
    attnames = ["id", "code", "filename"]
    row = (share.pk, share.code, share.filename, "a column the row goes on with")

    made = Maker(Share, attnames)(row, connection.alias)

    _same(made, Share.from_db(connection.alias, attnames, list(row[:3])))
    assert "max_downloads" in made.get_deferred_fields()
    assert made.max_downloads == 4  # read from the database, as a deferred field is
    assert made.owner == share.owner  # a foreign key through its deferred id


def test_an_instance_made_from_a_row_saves_as_a_loaded_one_does():
    share = ShareFactory(download_count=3)
    made = Maker(Share, [field.attname for field in Share._meta.concrete_fields])(
        _row(share, [field.attname for field in Share._meta.concrete_fields]), connection.alias
    )
    made.download_count = 4
    made.save(update_fields=["download_count"])  # an UPDATE: the row is not "adding"
    assert Share.objects.get(pk=share.pk).download_count == 4
    assert Share.objects.count() == 1


def test_a_model_with_a_post_init_receiver_is_made_by_from_db():
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    share = ShareFactory()
    post_init.connect(receiver, sender=Share)
    try:
        made = Maker(Share, ["id", "code"])((share.pk, share.code), connection.alias)
    finally:
        post_init.disconnect(receiver, sender=Share)
    assert seen == [made]
    assert (
        made.get_deferred_fields()
        == Share.from_db(
            connection.alias, ["id", "code"], [share.pk, share.code]
        ).get_deferred_fields()
    )


@isolate_apps("sharelinks")
def test_a_model_with_its_own_init_is_made_by_from_db():
    class Counted(models.Model):
        """A model that does work when built: Maker must leave it to from_db."""

        built = 0
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "sharelinks"

        def __init__(self, *args, **kwargs):
            type(self).built += 1
            super().__init__(*args, **kwargs)

        def __str__(self):
            return self.name

    made = Maker(Counted, ["id", "name"])((1, "x"), connection.alias)
    assert Counted.built == 1
    assert (made.pk, made.name, made._state.adding) == (1, "x", False)
