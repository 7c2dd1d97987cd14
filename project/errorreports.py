"""What Django's error pages (DEBUG) and emailed error reports may show of settings and META.

Django hides settings whose names say API, AUTH, KEY, PASS, SECRET, SIGNATURE or TOKEN.
DATABASE_URL, CACHE_URL and CELERY_BROKER_URL say none of these but carry passwords, and
a DisallowedHost answered under DEBUG printed them. This filter also hides every setting
the environment tables mark secret, and the password of any URL it shows (a Redis
LOCATION in CACHES, a variable in request.META under runserver).
"""

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

from project.environment import PROJECT_SETTINGS
from sharelinks import conf

SECRET_NAMES = [setting.name for setting in PROJECT_SETTINGS if setting.secret] + [
    f"SHARELINKS_{setting.name}" for setting in conf.SETTINGS if setting.secret
]

# scheme://user:password@host -- the password is whatever lies between the colon after the
# user name and the last @ before the host.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^\s/]*@", re.IGNORECASE)


class SecretHidingFilter(SafeExceptionReporterFilter):
    """Django's filter, plus the secret variables by name and URL passwords by shape."""

    hidden_settings = re.compile(
        "|".join(
            [
                SafeExceptionReporterFilter.hidden_settings.pattern,
                *(f"^{re.escape(name)}$" for name in SECRET_NAMES),
                "BROKER_URL|RESULT_BACKEND|DSN",
            ]
        ),
        flags=re.IGNORECASE,
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str) and "@" in cleansed:
            return _URL_PASSWORD.sub(rf"\g<head>{self.cleansed_substitute}@", cleansed)
        return cleansed
