"""Resolving a click: what HEAD reports, and how the client's network is recorded.

The full click (status codes, headers, counting, signing) is specified through the view in
tests/test_views.py and over HTTP in tests/test_e2e.py.
"""

import pytest

from sharelinks import clicks
from sharelinks.models import Click, ShareStatus
from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db


def test_click_resolve_head_counts_nothing():
    share = ShareFactory()
    result = clicks.click_resolve(code=share.code, client_ip=None, user_agent="", count=False)
    assert (result.status, result.url) == (ShareStatus.ACTIVE, "")
    assert not Click.objects.exists()


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("192.0.2.200", "192.0.2.0"),
        ("192.0.2.200:4444", "192.0.2.0"),
        ("[2001:db8:1:2::9]:443", "2001:db8:1::"),
        ("2001:db8:1:2:3::9", "2001:db8:1::"),
        ("::ffff:192.0.2.200", "192.0.2.0"),
        ("garbage", None),
        (None, None),
    ],
)
def test_client_network_truncation(ip, network):
    assert clicks.client_network(ip) == network
