"""The HTTP edges: recipient headers on every /s/ answer, and /healthz before host checks.

What /healthz says about each part is specified in tests/test_health.py.
"""

import pytest

from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/s/", "/s/AAAAAAAAAAAAAAAAAAAAAA/", "/s/a/b"])
def test_every_answer_under_s_is_uncacheable_even_for_a_mangled_link(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"This link does not exist" in response.content
    assert response["Cache-Control"] == "no-store, private"
    assert response["Referrer-Policy"] == "no-referrer"


def test_an_unexpected_error_under_s_is_still_uncacheable(client, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr("sharelinks.clicks.click_look", boom)
    client.raise_request_exception = False
    response = client.get(ShareFactory(body=False).path)
    assert response.status_code == 500
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_other_pages_keep_their_own_headers(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response
    assert response.get("Cache-Control") != "no-store, private"


def test_the_health_check_answers_a_balancer_probing_by_address_over_http(client, settings):
    # The README's production settings redirect to HTTPS and allow one host name; a
    # balancer probes each instance by its address over plain HTTP.
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["files.example.com"]
    response = client.get("/healthz", HTTP_HOST="10.0.3.17:8000")
    assert response.status_code == 200
    assert client.get("/admin/", HTTP_HOST="10.0.3.17:8000").status_code == 400
