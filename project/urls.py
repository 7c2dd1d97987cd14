"""URL routes: the admin for staff, /s/<code> for recipients."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from sharelinks import views

urlpatterns = [
    path("s/<str:code>", views.share_download, name="share-download"),
    path("admin/", admin.site.urls),
    path("healthz", views.health, name="health"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
