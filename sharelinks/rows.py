"""Model instances from a statement's row, made as Model.from_db makes them, for a
fraction of the work.

A download turns up to three rows into instances: its share, its person, its click row.
Model.from_db runs Model.__init__, which sends pre_init and post_init and walks every
concrete field; for a row of some of the columns, from_db first looks each field up in
the list of names. For seven of a share's columns that came to about 90,000 instructions,
as many as the whole counting statement's round trip costs the client.

What from_db leaves behind is the values in the instance's __dict__ under their
attnames, and a ModelState saying the row came from the database `db`. Maker does
exactly that, with the names settled once. A column not given is deferred, as from_db
leaves it: the field's descriptor loads it on first access.

Only for models nothing hooks into: no __init__ or from_db of their own, no pre_init or
post_init receiver, and no attname behind a descriptor that does work on assignment
(Django's foreign-key one only drops a cached object, which a new instance does not
have). Any other model is made by from_db itself. Signal receivers are connected when
apps load; the check is made at the first row, after that.
"""

import inspect
from collections.abc import Iterable, Sequence

from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.signals import post_init, pre_init


def _plain(model: type[Model], attnames: Iterable[str]) -> bool:
    """Whether from_db would only fill __dict__ and _state for these columns."""
    if model.__init__ is not Model.__init__ or model.from_db.__func__ is not Model.from_db.__func__:
        return False
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return False
    for name in attnames:
        descriptor = inspect.getattr_static(model, name, None)
        if hasattr(type(descriptor), "__set__") and not isinstance(
            descriptor, ForeignKeyDeferredAttribute
        ):
            return False
    return True


class Maker:
    """maker(row, db): the instance of `model` whose `attnames` are the row's leading
    values (the row may go on with other columns)."""

    def __init__(self, model: type[Model], attnames: Iterable[str]) -> None:
        self.model = model
        self.attnames = tuple(attnames)
        self._plain: bool | None = None  # decided at the first row (see above)

    def __call__(self, row: Sequence, db: str) -> Model:
        if self._plain is None:
            self._plain = _plain(self.model, self.attnames)
        if not self._plain:
            return self.model.from_db(db, list(self.attnames), row[: len(self.attnames)])
        instance = self.model.__new__(self.model)
        # The row may go on past the names: zip stops at the last name.
        instance.__dict__.update(zip(self.attnames, row, strict=False))
        state = instance._state = ModelState()
        state.adding = False
        state.db = db
        return instance
