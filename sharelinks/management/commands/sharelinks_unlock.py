"""`manage.py sharelinks_unlock USERNAME`: lift a staff member's sign-in lock from every network.

For the admin who is locked out of the admin itself (the user page's button needs a
working sign-in). The counters are in the database, so this works on any host.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from sharelinks import logins


class Command(BaseCommand):
    help = "Lift the sign-in lock and slowdown of a username, from every network."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the login name, in any case")

    def handle(self, *args, username: str, **options) -> None:
        users = get_user_model()._default_manager
        if not users.filter(**{f"{get_user_model().USERNAME_FIELD}__iexact": username}).exists():
            self.stderr.write(f"note: no user is called {username!r}; clearing its counters anyway")
        cleared = logins.login_unlock(username=username)
        if cleared:
            self.stdout.write(f"{username}: sign-in lock lifted ({cleared} counters cleared)")
        else:
            self.stdout.write(f"{username}: no failed sign-ins on record, nothing to lift")
