"""Staff email a link from the add page, the "Send link…" action or the share's page."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from sharelinks.models import Delivery, DeliveryStatus, Share
from tests.brokers import UNREACHABLE, broker
from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/sharelinks/share/"


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """No collectstatic in tests: serve admin assets without the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def add_data(key: str, **extra) -> dict:
    expires = timezone.localtime(timezone.now() + timedelta(days=3))
    return {
        "key": key,
        "expires_at_0": f"{expires:%Y-%m-%d}",
        "expires_at_1": f"{expires:%H:%M:%S}",
        **extra,
    }


def test_the_add_form_emails_the_link_to_each_recipient(
    admin_client, put_object, django_capture_on_commit_callbacks
):
    put_object("a/report.pdf", b"x")
    data = add_data("a/report.pdf", recipients="ann@example.org\nbo@example.org", message="Hi")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{CHANGELIST}add/", data)
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "bo@example.org"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_bad_address_is_an_error_on_the_add_form_and_nothing_is_saved(admin_client, put_object):
    put_object("a/report.pdf", b"x")
    response = admin_client.post(
        f"{CHANGELIST}add/", add_data("a/report.pdf", recipients="ann@example.org, nope")
    )
    assert response.status_code == 200
    assert "Not a valid email address: nope" in response.content.decode()
    assert not Delivery.objects.exists()


@pytest.mark.django_db(transaction=True)  # the publish happens on a real commit
def test_broker_down_on_the_add_form_saves_and_warns(admin_client, put_object):
    put_object("a/report.pdf", b"x")
    with broker(UNREACHABLE):
        response = admin_client.post(
            f"{CHANGELIST}add/",
            add_data("a/report.pdf", recipients="ann@example.org"),
            follow=True,
        )
    assert "as soon as the queue is back" in response.content.decode()
    assert Share.objects.filter(key="a/report.pdf").exists()
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


def test_send_link_action_asks_then_sends(admin_client, django_capture_on_commit_callbacks):
    shares = [ShareFactory(), ShareFactory()]
    selected = {"action": "send_link", "_selected_action": [s.pk for s in shares]}
    page = admin_client.post(CHANGELIST, selected)
    assert "email the link to" in page.content.decode().lower()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(CHANGELIST, {**selected, "apply": "1", "recipients": "cy@example.org"})
    assert len(mail.outbox) == 2


def test_the_share_page_has_a_send_button_and_lists_its_emails(
    admin_client, django_capture_on_commit_callbacks
):
    share = ShareFactory()
    page = admin_client.get(f"{CHANGELIST}{share.pk}/change/").content.decode()
    assert f"{CHANGELIST}{share.pk}/send/" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"{CHANGELIST}{share.pk}/send/", {"apply": "1", "recipients": "di@example.org"}
        )
    assert response.status_code == 302
    page = admin_client.get(f"{CHANGELIST}{share.pk}/change/").content.decode()
    assert "di@example.org" in page


def test_the_broken_filter_lists_shares_whose_file_is_missing(admin_client):
    ShareFactory(filename="fine.pdf")
    ShareFactory(filename="gone.pdf", missing_since=timezone.now())
    page = admin_client.get(CHANGELIST, {"broken": "yes"}).content.decode()
    assert "gone.pdf" in page
    assert "fine.pdf" not in page


def test_the_send_link_page_of_a_mangled_id_is_not_found_not_an_error(admin_client):
    admin_client.raise_request_exception = False
    response = admin_client.get(f"{CHANGELIST}abc/send/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_confirmation_counts_only_the_emails_newly_queued(admin_client):
    share = ShareFactory()
    Delivery.objects.create(share=share, kind="link", recipient="ann@example.org")  # on its way
    send = f"{CHANGELIST}{share.pk}/send/"
    with broker(UNREACHABLE):  # nothing is sent, so ann's email stays pending throughout
        both = {"apply": "1", "recipients": "ann@example.org, bo@example.org"}
        page = admin_client.post(send, both, follow=True).content.decode()
        assert "is being emailed to 1 recipient." in page
        again = {"apply": "1", "recipients": "ann@example.org"}
        page = admin_client.post(send, again, follow=True).content.decode()
    assert "already on its way to these recipients" in page
    assert Delivery.objects.count() == 2


@pytest.mark.parametrize(
    ("terms", "said"),
    [
        (
            {"max_downloads": 1, "download_count": 1},
            "This share has reached its download limit: raise the limit before sending its link.",
        ),
        (
            {"expires_at": timezone.now() - timedelta(days=1)},
            "This share has expired: extend it before sending its link.",
        ),
        (
            {"revoked_at": timezone.now()},
            "This share was revoked: reinstate it before sending its link.",
        ),
        (
            {"missing_since": timezone.now()},
            "The file of this share is missing from storage: its link would not work.",
        ),
    ],
    ids=["used-up", "expired", "revoked", "missing"],
)
def test_a_link_that_would_not_work_is_not_sent_and_the_page_says_why(admin_client, terms, said):
    share = ShareFactory(**terms)
    response = admin_client.post(
        f"{CHANGELIST}{share.pk}/send/", {"apply": "1", "recipients": "ann@example.org"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [said]
    assert not Delivery.objects.exists()


def test_a_bad_entry_is_named_as_it_was_typed(admin_client):
    share = ShareFactory()
    response = admin_client.post(
        f"{CHANGELIST}{share.pk}/send/", {"apply": "1", "recipients": "bad address"}
    )
    assert response.context["form"].errors["recipients"] == [
        "Not a valid email address: bad address"
    ]
