"""`field__any=values`: Django's `in`, sent to PostgreSQL as one array parameter.

The outbox claims, reads and marks its rows by a batch's ids, up to a thousand at once.
As `IN (%s, %s, ...)` that is a statement as long as the batch: Django compiles a
placeholder per id, psycopg splits and quotes the text on every call (it caches only short
statements), and the server parses it. `= ANY(%s)` is one parameter however many ids come,
and PostgreSQL plans both the same way (an index scan over the array). Other databases get
the `in` lookup unchanged.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(In):
    """`in`, as `= ANY(%s)` with the values as one array on PostgreSQL."""

    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value() or any(
            hasattr(value, "resolve_expression") for value in self.rhs
        ):  # a subquery, or an expression among the values: as `in` sends them
            return super().as_sql(compiler, connection)
        try:
            distinct = list(dict.fromkeys(self.rhs))
        except TypeError:  # unhashable values (a JSON field's lists): as `in` sends them
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [
            field.get_db_prep_value(value, connection, prepared=True)
            for value in distinct
            if value is not None  # NULL equals nothing, as in `in`
        ]
        if not values:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
