"""A lookup by one value, compiled to SQL once per process instead of once per request.

A click's lookup (a share or a person by code, with the owner every page names and the
bucket's last survey) is the same query each time with another code. Building it through
the ORM compiles about a hundred column references per request -- most of the CPU a click
spent before any row was read. This keeps what Django compiled the first time (the SQL, its
column layout, the converters each backend needs) and, per request, only sends the SQL with
the new value and turns the row into model instances the way a QuerySet does, so
select_related objects and annotations arrive exactly as the ORM would give them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

_PLACEHOLDER = "\x00prepared\x00"  # stands in for the value while compiling


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    at: int  # where the value goes in params
    compiler: Any
    converters: dict
    model: type[Model]
    start: int
    end: int
    init_list: list[str]
    populators: list
    annotations: dict[str, int]


class PreparedLookup:
    """make(value) -> the QuerySet; first(value) -> its first instance, or None.

    The queryset must take the value only once and as a parameter (a filter on it);
    everything else about it is fixed when it is first compiled for a database.
    """

    def __init__(self, make: Callable[[Any], QuerySet]) -> None:
        self._make = make
        self._compiled: dict[str, _Compiled] = {}  # the SQL depends only on the backend

    def _compile(self, alias: str) -> _Compiled:
        queryset = self._make(_PLACEHOLDER)[:1]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(
            sql=sql,
            params=tuple(params),
            at=list(params).index(_PLACEHOLDER),
            compiler=compiler,
            converters=compiler.get_converters([column[0] for column in select]),
            model=klass_info["model"],
            start=start,
            end=end,
            init_list=[column[0].target.attname for column in select[start:end]],
            populators=get_related_populators(klass_info, select, alias),
            annotations=dict(compiler.annotation_col_map or {}),
        )

    def first(self, value: Any, using: str = DEFAULT_DB_ALIAS) -> Model | None:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        params = list(compiled.params)
        params[compiled.at] = value
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
        instance = compiled.model.from_db(
            using, compiled.init_list, row[compiled.start : compiled.end]
        )
        for populator in compiled.populators:
            populator.populate(row, instance)
        for name, position in compiled.annotations.items():
            setattr(instance, name, row[position])
        return instance
