"""The recipient's routes; the project includes them at its root."""

from django.urls import re_path

from sharelinks import views
from sharelinks.codes import LINK_PREFIX

urlpatterns = [
    # Everything under the link prefix reaches the click view, so a mangled link (a trailing
    # slash, a cut-off code) gets the recipient's page and counts against the guess limit.
    re_path(rf"^{LINK_PREFIX.lstrip('/')}(?P<code>.*)$", views.share_link, name="share-link"),
]
