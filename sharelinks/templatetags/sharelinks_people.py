"""How recipients' pages and emails name a staff member.

Never by login name: "admin shared a file with you" tells a recipient nothing about who
sent it, and reads like the phishing mails they are taught to distrust.
"""

from email.utils import parseaddr

from django import template
from django.conf import settings

register = template.Library()


def full_name(user) -> str:
    """The user's full name with its spaces tidied; "" when none was given."""
    return " ".join(user.get_full_name().split())


@register.filter
def person_name(user) -> str:
    """The full name, else the email address, else the site's name in DEFAULT_FROM_EMAIL."""
    full = full_name(user)
    if full:
        return full
    if user.email:
        return user.email
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[0] or "sharelinks"
