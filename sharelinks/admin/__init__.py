"""The staff UI: the share admin, its forms, inlines, filters and action pages.

Every change goes through the services (sharelinks.shares, sharelinks.mail), as the views
and commands do; importing this package registers ShareAdmin with the admin site.
"""

from sharelinks.admin.shares import ShareAdmin

__all__ = ["ShareAdmin"]
