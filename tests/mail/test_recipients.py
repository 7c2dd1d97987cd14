"""Recipients as staff paste them: names kept, bad entries named as typed, one pass."""

import pytest
from django.core.exceptions import ValidationError

from sharelinks.mail.recipients import Addressee, recipients_clean, text_limit


@pytest.mark.parametrize(
    ("pasted", "recipients"),
    [
        ("a@example.com b@example.org", [("a@example.com", ""), ("b@example.org", "")]),
        (
            "Bob <bob@example.net>, c@example.org",
            [("bob@example.net", "Bob"), ("c@example.org", "")],
        ),
        (
            '"Keller, Maria" <m@example.com>; z@example.com\nq@example.com',
            [("m@example.com", "Keller, Maria"), ("z@example.com", ""), ("q@example.com", "")],
        ),
        ("Bob Smith <bob@example.net> bob@example.net", [("bob@example.net", "Bob Smith")]),
        ("山田 太郎 <taro@example.jp>", [("taro@example.jp", "山田 太郎")]),
    ],
)
def test_addresses_are_taken_as_mail_programs_copy_them_with_their_names(pasted, recipients):
    assert recipients_clean(pasted) == [Addressee(*pair) for pair in recipients]


def test_case_variants_of_one_address_are_one_recipient():
    cleaned = recipients_clean("Ann@Example.org, ann@example.org\nANN@EXAMPLE.ORG")
    assert cleaned == [Addressee("Ann@example.org")]


@pytest.mark.parametrize(
    ("pasted", "reported"),
    [
        ("bad address", "bad address"),
        ("ann@example.org, not-an-address; bob@", "not-an-address, bob@"),
        ("Ann Smith ann@example.org", "Ann Smith"),
        ("<ann@example.org", "<ann@example.org"),
    ],
)
def test_a_bad_entry_is_reported_as_it_was_typed(pasted, reported):
    with pytest.raises(ValidationError) as caught:
        recipients_clean(pasted)
    assert caught.value.code == "invalid_recipient"
    assert caught.value.messages == [f"Not a valid email address: {reported}"]


def test_a_name_is_one_line_and_the_to_header_quotes_it():
    (recipient,) = recipients_clean(
        '"Evil\\u2028 Name" <e@example.org>'.replace("\\u2028", "\u2028")
    )
    assert recipient.name == "Evil Name"
    assert str(Addressee("e@example.org", "Keller, Maria")) == '"Keller, Maria" <e@example.org>'


def test_text_longer_than_the_recipients_need_is_refused_before_it_is_read(settings):
    settings.SHARELINKS_MAX_RECIPIENTS = 20
    # 120 KB of "a ": the former pattern spent minutes of a worker on it.
    with pytest.raises(ValidationError) as caught:
        recipients_clean("a " * 60_000)
    assert caught.value.code == "recipients_too_long"
    assert f"paste at most {text_limit()} characters (this is 120000)" in caught.value.messages[0]


def test_a_full_allowance_of_junk_is_read_in_one_pass():
    junk = ("a " * text_limit())[: text_limit()]
    with pytest.raises(ValidationError) as caught:
        recipients_clean(junk)
    assert caught.value.code == "invalid_recipient"  # one piece, as typed


def test_more_addresses_than_allowed_are_refused(settings):
    settings.SHARELINKS_MAX_RECIPIENTS = 2
    with pytest.raises(ValidationError, match="at most 2 addresses"):
        recipients_clean("a@example.org b@example.org c@example.org")
