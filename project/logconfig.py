"""Logging for every process: one console handler, and no share code in any line of it."""


def logging_config(level: str) -> dict:
    """The LOGGING dict for settings.py, at the root level `level` (LOG_LEVEL)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # A share code is a bearer secret: every path under /s/ is redacted before any record
        # (runserver's access log, Django's "Gone: /s/..." warnings) reaches a handler.
        "filters": {"redact_share_codes": {"()": "sharelinks.logfilters.RedactShareCodes"}},
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "level": level,
                "filters": ["redact_share_codes"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handler on "django" (DEBUG only) would print unredacted paths.
            "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "botocore": {"level": "WARNING"},
        },
    }
