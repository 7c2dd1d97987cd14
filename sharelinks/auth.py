"""Staff sign-in: Django's ModelBackend behind the throttle of sharelinks.logins.

The throttle is asked before the password is hashed, so a refused attempt costs two
indexed reads, not a hash: a flood of guesses cannot buy CPU. A refusal raises
PermissionDenied, which makes django.contrib.auth.authenticate stop and report a failed
login: the page is the one a wrong password gets, word for word. It comes back sooner
than a checked password does; that tells the sender only what they already know (this
username failed too often from their network), never whether the username exists, since
unknown usernames are counted and refused alike. Making it wait the length of a hash
would hold a web worker per refused guess: the very cost the throttle is there to cut.
A wrong password for an unknown username still costs a full hash (ModelBackend hashes a
dummy password), so timing does not tell which usernames exist.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from sharelinks import logins
from sharelinks.visitors import client_ip, client_network


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend, refusing a username that failed too often from this network."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        network = client_network(client_ip(request)) if request is not None else None
        if not logins.login_allowed(username=username, network=network):
            raise PermissionDenied  # ends the backend chain; Django reports a failed login
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            logins.login_failed(username=username, network=network)
        else:
            logins.login_succeeded(username=username, network=network)
        return user
