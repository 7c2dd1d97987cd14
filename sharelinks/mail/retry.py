"""When to try an email again: exponential backoff with jitter, and which errors are final."""

import random
import smtplib

from sharelinks.conf import app_settings


def delay_for(attempt: int) -> float:
    """Seconds to wait after the given failed attempt (1, 2, ...).

    The wait doubles from EMAIL_RETRY_DELAY up to EMAIL_RETRY_MAX, and is drawn from its upper
    half at random, so emails that failed together (the mail server was down for all of
    them) do not all come back in the same second.
    """
    ceiling = min(app_settings.EMAIL_RETRY_MAX, app_settings.EMAIL_RETRY_DELAY * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not a secret)


def is_permanent(err: Exception) -> bool:
    """A 5xx answer about the message or every recipient will not change on a retry."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in err.recipients.values())
    if isinstance(err, smtplib.SMTPResponseException):
        # 5xx is final, except that a server refusing the login (535) or our TLS (530)
        # is a configuration the operator will fix; keep those until attempts run out.
        return 500 <= err.smtp_code < 600 and err.smtp_code not in (530, 535)
    return False
