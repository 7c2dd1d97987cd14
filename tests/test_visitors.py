"""Who clicked: the client's network (never the whole address), and scanners told apart."""

import pytest

from sharelinks.visitors import client_network, is_scanner


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("192.0.2.200", "192.0.2.0"),
        ("192.0.2.200:4444", "192.0.2.0"),
        ("[2001:db8:1:2::9]:443", "2001:db8:1::"),
        ("2001:db8:1:2:3::9", "2001:db8:1::"),
        ("2001:db8:1:ffff::9", "2001:db8:1::"),  # /48: the fourth group never counts
        ("::ffff:192.0.2.200", "192.0.2.0"),
        ("garbage", None),
        (None, None),
    ],
)
def test_client_network_truncation(ip, network):
    assert client_network(ip) == network


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Mimecast URL Protect)",
        "Proofpoint URL Defense",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Safari/537.36 BingPreview/1.0b",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "facebookexternalhit/1.1",
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)",
    ],
)
def test_known_scanners_and_previewers_are_flagged(agent):
    assert is_scanner(agent)


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "curl/8.5.0",
    ],
)
def test_people_and_their_tools_are_not(agent):
    assert not is_scanner(agent)
