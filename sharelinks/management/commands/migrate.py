"""`manage.py migrate`, Django's own, without DATABASE_STATEMENT_TIMEOUT on its connection.

Every connection starts with the server-side statement limit that keeps a request from
waiting minutes on a lock; a migration that rewrites a table or builds an index on the
click log may rightly take longer. The limit is lifted for this connection's session only:
web processes and workers running beside the migration keep theirs.
"""

from django.core.management.commands import migrate
from django.db import connections


class Command(migrate.Command):
    help = migrate.Command.help + " Runs without the database's statement timeout."

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
        return super().handle(*args, **options)
