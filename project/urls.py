"""URL routes: the admin for staff, /s/<code> for recipients."""

from django.contrib import admin
from django.urls import path, re_path
from django.views.generic import RedirectView

from sharelinks import views

urlpatterns = [
    # Everything under /s/ reaches the click view, so a mangled link (a trailing slash, a
    # cut-off code) gets the recipient's page and counts against the guess limit.
    re_path(r"^s/(?P<code>.*)$", views.share_download, name="share-download"),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
