"""Staff sign-in that stops answering a username after repeated wrong passwords.

The admin is the one place where a password guards every share, so guessing it is
throttled: after LOGIN_FAILURE_LIMIT failures within LOGIN_FAILURE_WINDOW seconds a
username is refused -- right password or not -- until the window has passed. The page
says nothing different, so the lock tells an attacker nothing. Counted in the cache, so
it spans all web processes when the cache is Redis.
"""

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from sharelinks.conf import app_settings
from sharelinks.throttle import count_in_window


def _key(username: str | None) -> str:
    return f"sharelinks:login-failures:{(username or '').strip().lower()}"


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend, refusing a username that failed too often of late."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        key = _key(username or kwargs.get("email"))
        if cache.get(key, 0) >= app_settings.LOGIN_FAILURE_LIMIT:
            raise PermissionDenied  # ends the backend chain; Django reports a failed login
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            count_in_window(key, app_settings.LOGIN_FAILURE_WINDOW)
        else:
            cache.delete(key)
        return user
