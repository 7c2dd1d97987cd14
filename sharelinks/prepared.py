"""The click's statements, built once: compiled once per process, planned once per
connection.

A lookup by one value, compiled to SQL once per process instead of once per request.

A click's lookup (a share or a person by code, with the owner every page names and the
bucket's last survey) is the same query each time with another code. Building it through
the ORM compiles about a hundred column references per request -- most of the CPU a click
spent before any row was read. This keeps what Django compiled the first time (the SQL, its
column layout, the converters each backend needs) and, per request, only sends the SQL with
the new value and turns the row into model instances the way a QuerySet does, so
select_related objects and annotations arrive exactly as the ORM would give them.

On PostgreSQL these statements are also prepared on the server (statement_run): Django
sends each query as text with its values inlined, which PostgreSQL parses and plans anew
every time -- for the click's counting statement, planning took longer than running it.
A prepared statement is planned once per connection and then only executed. A statement
that commits by itself (the click's own, outside any transaction) is prepared and sent with
libpq's calls (_Session): psycopg's cursor spent more Python around it than the rest of the
statement's client side. Inside a transaction psycopg's cursor prepares it: Django turns
psycopg's preparing off (prepare_threshold None, for connection poolers), which would also
ignore a statement's own prepare=True; the connection is given a threshold no other query
reaches instead, so only these statements are prepared. Behind PgBouncer that needs
transaction pooling with `max_prepared_statements` (1.21 and later) or session pooling.

Django checks a reused connection with a `SELECT 1` at the first query of each request
(CONN_HEALTH_CHECKS), a round trip as long as the click's own statement. A connection that
answered one of these statements moments ago (RECENTLY_ANSWERED) is taken as healthy
without asking again: under load that is every click. The cost is the rare click that
runs into a server restarted in that second: its statement fails, it answers the 503 page
(the view's DatabaseError), and Django closes the broken connection when the request ends.
"""

import datetime
import functools
import itertools
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from psycopg import Cursor, errors, generators
from psycopg.adapt import AdaptersMap, PyFormat, Transformer
from psycopg.pq import ExecStatus, TransactionStatus
from psycopg.types.datetime import TimestamptzLoader

from sharelinks.rows import Maker

_PLACEHOLDER = "\x00prepared\x00"  # stands in for the value while compiling
# psycopg prepares a query by itself after this many runs: never, in effect (see above).
_ONLY_WHEN_ASKED = sys.maxsize
# Seconds after an answer during which a connection needs no health check of its own.
RECENTLY_ANSWERED = 1.0


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    at: int  # where the value goes in params
    compiler: Any
    converters: dict
    start: int
    end: int
    make: Maker
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
            start=start,
            end=end,
            make=Maker(klass_info["model"], [col[0].target.attname for col in select[start:end]]),
            populators=get_related_populators(klass_info, select, alias),
            annotations=dict(compiler.annotation_col_map or {}),
        )

    def _ready(self, value: Any, using: str) -> tuple[_Compiled, list]:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        params = list(compiled.params)
        params[compiled.at] = value
        return compiled, params

    @staticmethod
    def _instance(compiled: _Compiled, row: tuple, using: str) -> Model:
        if compiled.converters:
            row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
        instance = compiled.make(row[compiled.start : compiled.end], using)
        for populator in compiled.populators:
            populator.populate(row, instance)
        for name, position in compiled.annotations.items():
            setattr(instance, name, row[position])
        return instance

    def first(self, value: Any, using: str = DEFAULT_DB_ALIAS) -> Model | None:
        compiled, params = self._ready(value, using)
        rows = statement_run(compiled.sql, params, using=using)
        return self._instance(compiled, rows[0], using) if rows else None

    def first_writing(
        self, value: Any, ctes: str, cte_params: Sequence, using: str = DEFAULT_DB_ALIAS
    ) -> tuple[Model | None, Any]:
        """first(value), and in the same statement the WITH queries `ctes` (%s parameters),
        which write and name one `written`, whose RETURNING's value comes back beside the
        instance.

        One round trip for a lookup and a row written about what it finds, where the write
        selects the same row itself (both see one snapshot, so both find it or neither
        does). PostgreSQL only: data-modifying WITH queries.
        """
        compiled, params = self._ready(value, using)
        # Both parts are SQL of ours; every value is a parameter.
        sql = f"WITH {ctes} SELECT found.*, (SELECT * FROM written LIMIT 1) FROM ({compiled.sql}) found"  # noqa: E501, S608
        rows = statement_run(sql, [*cte_params, *params], using=using)
        if not rows:
            return None, None
        return self._instance(compiled, rows[0][:-1], using), rows[0][-1]


def statement_run(
    sql: str, params: Sequence | Mapping, *, using: str = DEFAULT_DB_ALIAS
) -> list[tuple]:
    """Run one statement and return its rows; on PostgreSQL as a prepared statement.

    Everything Django's own cursor does around a query is kept: the health check of a
    reused connection, connecting, errors raised as django.db errors (a click answers
    them with its 503 page) and the query log that tests and debug tools read.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    started = time.monotonic()
    if started - getattr(connection, "_answered_at", -RECENTLY_ANSWERED) < RECENTLY_ANSWERED:
        connection.health_check_done = True  # it answered a moment ago: no SELECT 1
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        rows = _postgres_rows(connection, sql, params)
    answered = connection._answered_at = time.monotonic()
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{answered - started:.3f}"})
    return rows


# %(name)s and %s become $1, $2, ...; %% is a percent sign; any other % is a mistake.
_PARAMETER_MARKS = re.compile(r"%\((\w+)\)s|%s|%%|%")


@functools.lru_cache(maxsize=64)
def _numbered(sql: str) -> tuple[bytes, tuple[str, ...] | int]:
    """The statement with PostgreSQL's $n placeholders, and the names of its parameters
    in that order (or how many positional ones it takes)."""
    names: list[str] = []
    positional = 0

    def number(match: re.Match) -> str:
        nonlocal positional
        name, text = match.group(1), match.group(0)
        if text == "%%":
            return "%"
        if text == "%":
            raise ValueError(f"a lone % in a statement: {sql[:80]!r}")
        if name is None:
            positional += 1
            return f"${positional}"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    numbered = _PARAMETER_MARKS.sub(number, sql)
    if names and positional:
        raise ValueError(f"named and positional parameters in one statement: {sql[:80]!r}")
    return numbered.encode(), tuple(names) if names else positional


class _Session:
    """What one psycopg connection has prepared, and its adapter of values.

    psycopg's cursor spends about 40 µs of Python around each statement (converting the
    query, its prepared-statement bookkeeping, the result's description); a click runs
    one. This sends the prepared statement with libpq's calls and psycopg's own
    adapters, so values go and come back exactly as through a cursor, and waits through
    the connection's own wait, which signal handlers (sharelinks.deadline) interrupt.
    """

    def __init__(self, conn, timezone: datetime.tzinfo | None) -> None:
        self.conn, self.names = conn, {}
        self.adapter = Transformer(_Context(conn, timezone))
        self.serial = itertools.count()  # never a name twice: the server may keep some

    def run(self, sql: str, params: Sequence | Mapping) -> list[tuple]:
        query, order = _numbered(sql)
        if isinstance(order, tuple):
            values = [params[name] for name in order]
        else:
            values = list(params)
            if len(values) != order:
                raise ValueError(f"{order} parameters expected, {len(values)} given")
        adapter = self.adapter
        dumped = adapter.dump_sequence(values, [PyFormat.AUTO] * len(values))
        key = (query, adapter.types)
        try:
            result = self._execute(key, dumped, adapter.formats)
        except errors.InvalidSqlStatementName:  # forgotten: DEALLOCATE ALL, a pooler
            self.names.clear()  # after DEALLOCATE ALL, all of them
            result = self._execute(key, dumped, adapter.formats)
        if result.status != ExecStatus.TUPLES_OK:
            return []
        adapter.set_pgresult(result)
        return adapter.load_rows(0, result.ntuples, tuple)

    def _execute(self, key: tuple[bytes, tuple], dumped: list, formats: list):
        name = self.names.get(key)
        pgconn = self.conn.pgconn
        if name is None:
            name = f"sharelinks_{next(self.serial)}".encode()
            pgconn.send_prepare(name, key[0], param_types=key[1])
            self._result()
            self.names[key] = name
        pgconn.send_query_prepared(name, dumped, param_formats=formats)
        return self._result()

    def _result(self):
        results = self.conn.wait(generators.execute(self.conn.pgconn))
        for result in results:
            if result.status == ExecStatus.FATAL_ERROR:
                raise errors.error_from_result(result, encoding=self.conn.info.encoding)
        return results[-1]


class _Context:
    """The connection's adapters, but a zoned time read by psycopg's own (compiled) loader
    where it gives what Django's gives: Django registers a Python subclass that attaches
    Django's zone, psycopg's attaches the session's; both UTC, the values are the same.
    The landing page reads five: 8% of its instructions went to the Python one."""

    def __init__(self, conn, timezone: datetime.tzinfo | None) -> None:
        self.connection, self.adapters = conn, conn.adapters
        if timezone is datetime.UTC and conn.pgconn.parameter_status(b"TimeZone") == b"UTC":
            self.adapters = AdaptersMap(conn.adapters)
            self.adapters.register_loader("timestamptz", TimestamptzLoader)


def _postgres_rows(connection, sql: str, params: Sequence | Mapping) -> list[tuple]:
    """Run the statement prepared: by _Session where it commits by itself (the click's
    own statements), else through psycopg's cursor.

    Inside a transaction psycopg has work to do (the BEGIN Django's transaction asks for),
    and a statement the server has forgotten could not be sent again there: its error
    aborts the transaction. psycopg forgets every prepared statement on the connection
    after a ROLLBACK, DROP or ALTER (DEALLOCATE ALL), so _Session's can be gone any time.
    """
    conn = connection.connection
    if conn.autocommit and conn.pgconn.transaction_status == TransactionStatus.IDLE:
        session = getattr(connection, "_sharelinks_session", None)
        if session is None or session.conn is not conn:
            session = connection._sharelinks_session = _Session(conn, connection.timezone)
        return session.run(sql, params)
    if conn.prepare_threshold is None:
        conn.prepare_threshold = _ONLY_WHEN_ASKED
    with Cursor(conn) as cursor:
        cursor.execute(sql, params, prepare=True)
        # Not cursor.description: it builds an object per column, and a click returns
        # about sixty columns.
        result = cursor.pgresult
        return cursor.fetchall() if result and result.status == ExecStatus.TUPLES_OK else []
