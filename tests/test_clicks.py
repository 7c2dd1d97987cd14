"""Answering a click: a look counts nothing, a download counts once, a resumption never.

The full click (status codes, headers, pages) is specified through the view in
tests/test_views.py and over HTTP in tests/test_e2e.py.
"""

import pytest

from sharelinks import clicks
from sharelinks.links import Link
from sharelinks.models import Click, ClickOutcome, ShareStatus
from sharelinks.visitors import Visitor
from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db

PERSON = Visitor(network="192.0.2.0", user_agent="Mail/1.0", scanner=False)


def test_a_look_counts_nothing_signs_nothing_and_writes_nothing():
    share = ShareFactory()
    result = clicks.click_look(link=Link(share))
    assert (result.status, result.url, result.missing) == (ShareStatus.ACTIVE, "", False)
    assert not Click.objects.exists()
    share.refresh_from_db()
    assert share.download_count == 0


def test_a_download_counts_once_and_records_when():
    share = ShareFactory(max_downloads=2)
    result = clicks.click_download(link=Link(share), visitor=PERSON)
    assert result.url
    assert result.click.outcome == ClickOutcome.REDIRECTED
    share.refresh_from_db()
    assert share.download_count == 1
    assert share.last_download_at == result.click.at


def test_a_resumption_signs_again_without_counting_even_when_used_up():
    share = ShareFactory(max_downloads=1)
    clicks.click_download(link=Link(share), visitor=PERSON)
    share.refresh_from_db()
    result = clicks.click_resume(link=Link(share), visitor=PERSON)
    assert result.url
    assert result.resumed
    assert result.status == ShareStatus.EXHAUSTED
    share.refresh_from_db()
    assert share.download_count == 1
    outcomes = list(share.clicks.order_by("at", "pk").values_list("outcome", flat=True))
    assert outcomes == [ClickOutcome.REDIRECTED, ClickOutcome.RESUMED]


def test_a_withdrawn_share_cannot_be_resumed():
    share = ShareFactory()
    clicks.click_download(link=Link(share), visitor=PERSON)
    share.refresh_from_db()
    share.revoke(share.created_at)
    result = clicks.click_resume(link=Link(share), visitor=PERSON)
    assert (result.status, result.url) == (ShareStatus.REVOKED, "")
