"""The staff UI: the share admin, its forms, inlines, filters and action pages; the user
page's sign-in throttle.

Every change goes through the services (sharelinks.shares, sharelinks.mail, ...), as the
views and commands do; importing this package registers ShareAdmin and StaffUserAdmin with
the admin site.
"""

from sharelinks.admin.shares import ShareAdmin
from sharelinks.admin.users import StaffUserAdmin

__all__ = ["ShareAdmin", "StaffUserAdmin"]
