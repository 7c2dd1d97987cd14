"""A cache outage costs a recipient nothing: no 500, no 429, no hang.

The cache is a real Redis client pointed at a port where nothing listens (connection
refused at once) or at a proxy that accepts and never answers (each call then waits its
socket timeout); the machine's own Redis is never touched.
"""

import logging

import pytest

from sharelinks import softcache
from sharelinks.models import Share
from tests.factories import ShareFactory
from tests.faults import FaultProxy, closed_port, redis_cache
from tests.recipient import download

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hang_guard")]


@pytest.fixture(params=["refused", "held"])
def cache_down(request, settings):
    """The cache, down in one of two ways."""
    with FaultProxy(mode="hold") as held:
        port = closed_port() if request.param == "refused" else held.port
        settings.CACHES = redis_cache(f"redis://127.0.0.1:{port}/1")
        yield request.param


def test_a_real_link_still_downloads_and_counts(client, cache_down):
    share = ShareFactory()
    assert download(client, share.path).status_code == 303
    assert Share.objects.get(pk=share.pk).download_count == 1


def test_unknown_codes_keep_getting_404_never_429(client, settings, cache_down):
    # The guess limit fails open: a 128-bit code is not found by guessing anyway, while a
    # recipient wrongly refused would lose the file.
    settings.SHARELINKS_GUESS_LIMIT = 2
    for n in range(6):
        response = client.get(f"/s/{'C' * 21}{n}", REMOTE_ADDR="198.51.100.9")
        assert response.status_code == 404
    assert client.get("/s/malformed", REMOTE_ADDR="198.51.100.9").status_code == 404


def test_the_outage_is_logged_once_per_interval_not_per_request(client, cache_down, caplog):
    share = ShareFactory()
    with caplog.at_level(logging.WARNING, logger="sharelinks.softcache"):
        for n in range(5):
            client.get(f"/s/{'D' * 21}{n}")
        download(client, share.path)
    warnings = [r for r in caplog.records if r.name == "sharelinks.softcache"]
    assert len(warnings) == 1
    assert "the cache is unavailable" in warnings[0].getMessage()


def test_during_the_backoff_the_cache_is_left_alone_and_after_it_tried_again(monkeypatch, caplog):
    tried = []

    def failing():
        tried.append(1)
        raise ConnectionError("refused")

    for _ in range(3):
        assert softcache.attempt(failing, "fallback", what="test") == "fallback"
    assert len(tried) == 1  # the next two did not pay a timeout
    monkeypatch.setattr(softcache, "_skip_until", 0.0)  # BACKOFF seconds later
    monkeypatch.setattr(softcache, "BACKOFF", 0.0)
    for _ in range(3):
        softcache.attempt(failing, None, what="test")
    assert len(tried) == 4
    assert len([r for r in caplog.records if r.name == "sharelinks.softcache"]) == 1


def test_found_objects_are_remembered_on_the_share_not_in_the_cache(client, cache_down, s3_client):
    heads = []
    s3_client.meta.events.register("before-send.s3.HeadObject", lambda **kw: heads.append(1))
    share = ShareFactory()
    for _ in range(2):
        assert download(client, share.path).status_code == 303
    assert len(heads) == 1  # the first page asked S3; its answer is on the share's row


def test_staff_pages_keep_working(client, cache_down):
    from tests.factories import UserFactory

    share = ShareFactory()
    client.force_login(UserFactory(is_superuser=True))
    response = client.get("/admin/sharelinks/share/", {"q": share.code})
    assert response.status_code == 200
    assert share.filename.encode() in response.content
