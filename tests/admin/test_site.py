"""The admin site: shares lead the index; scheduled jobs are for superusers, listed apart."""

import pytest
from django.contrib.auth.models import Permission

from tests.admin.test_shares import staff_member

pytestmark = pytest.mark.django_db


def app_labels(client) -> list[str]:
    return [app["app_label"] for app in client.get("/admin/").context["app_list"]]


def test_shares_come_first_and_scheduled_jobs_last_under_their_own_name(admin_client):
    assert app_labels(admin_client) == ["sharelinks", "auth", "django_celery_beat"]
    html = admin_client.get("/admin/").content.decode()
    assert html.index("Shares") < html.index("Periodic tasks")
    assert "Scheduled jobs (superusers only)" in html


def test_staff_never_see_or_reach_the_scheduled_jobs_whatever_their_permissions(client):
    alice = staff_member("alice")
    alice.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="django_celery_beat")
    )
    client.force_login(alice)
    assert app_labels(client) == ["sharelinks"]
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 403
    assert client.get("/admin/django_celery_beat/").status_code == 404
