"""The form token and the resume receipt are Django's TimestampSigner tokens, byte for byte.

sharelinks.tokens makes and checks them without Django's signer objects (a download checks
one and makes the other); these properties hold the two equal, so a token signed before an
upgrade, by a process on either side of it, or under a rotated SECRET_KEY still works.
"""

import time
from unittest import mock

import pytest
import time_machine
from django.core import signing
from hypothesis import given, settings
from hypothesis import strategies as st

from sharelinks import tokens

# Codes as the app makes them and anything else a URL can carry: the salt is only text.
# No lone surrogates: Django re-percent-encodes a path's broken UTF-8, so no request brings
# one, and neither signer could encode one (both raise UnicodeEncodeError).
TEXT = st.characters(exclude_categories=("Cs",))
CODES = st.text(alphabet=TEXT, min_size=0, max_size=40)
VALUES = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters=":"),
                 max_size=30)  # fmt: skip
SALTS = (tokens._FORM_SALT, tokens._RECEIPT_SALT)
MOMENTS = st.integers(min_value=0, max_value=4_000_000_000)


def django_signer(salt: str, key: str | None = None, fallbacks=None):
    return signing.TimestampSigner(salt=salt, key=key, fallback_keys=fallbacks)


@settings(max_examples=300, deadline=None)
@given(purpose=st.sampled_from(SALTS), code=CODES, value=VALUES, moment=MOMENTS)
def test_a_token_is_the_very_string_djangos_signer_makes(purpose, code, value, moment):
    salt = purpose + code
    # The clock is frozen (mocked) so both sign the same second.
    with mock.patch("time.time", return_value=moment + 0.5):
        assert tokens._sign(salt, value) == django_signer(salt).sign(value)


@settings(max_examples=300, deadline=None)
@given(code=CODES, moment=MOMENTS)
def test_each_side_accepts_the_others_tokens(code, moment):
    with mock.patch("time.time", return_value=moment + 0.5):
        theirs = django_signer(tokens._FORM_SALT + code).sign(tokens._FORM_VALUE)
        assert tokens.form_token_valid(code, theirs)
        ours = tokens.form_token(code)
        assert django_signer(tokens._FORM_SALT + code).unsign(ours, max_age=60) == "download"
        receipt = tokens.receipt_make(code, 123)
        assert django_signer(tokens._RECEIPT_SALT + code).unsign(receipt, max_age=60) == "123"
        assert tokens.receipt_click_id(code, receipt) == 123


@pytest.mark.parametrize(
    "forged",
    [
        "",
        "download",
        "download:forged:signature",
        "download::",
        ":::",
        "download:1a2b3c:",
    ],
)
def test_a_forged_or_mangled_token_is_refused_not_an_error(forged):
    assert not tokens.form_token_valid("code", forged)
    assert tokens.receipt_click_id("code", forged) is None


def test_a_token_of_one_link_or_one_purpose_is_worth_nothing_elsewhere():
    token = tokens.form_token("first")
    assert tokens.form_token_valid("first", token)
    assert not tokens.form_token_valid("second", token)
    assert tokens.receipt_click_id("first", token) is None  # a form token is no receipt
    receipt = tokens.receipt_make("first", 7)
    assert not tokens.form_token_valid("first", receipt)


def test_one_changed_character_is_refused():
    token = tokens.form_token("code")
    for position in range(len(token)):
        changed = "x" if token[position] != "x" else "y"
        assert not tokens.form_token_valid(
            "code", token[:position] + changed + token[position + 1 :]
        )


def test_tokens_expire_exactly_when_djangos_do(settings):
    settings.SHARELINKS_FORM_TOKEN_AGE = 600
    start = int(time.time())  # a whole second: the token records whole seconds
    with time_machine.travel(start, tick=False):
        token = tokens.form_token("code")
    for later, valid in [(599, True), (600, True), (601, False)]:
        with time_machine.travel(start + later, tick=False):
            assert tokens.form_token_valid("code", token) is valid
            django_valid = True
            try:
                django_signer(tokens._FORM_SALT + "code").unsign(token, max_age=600)
            except signing.SignatureExpired:
                django_valid = False
            assert django_valid is valid


def test_a_token_signed_before_the_secret_key_was_rotated_still_works(settings):
    settings.SECRET_KEY = "the-old-secret-key-" + "x" * 40
    token = tokens.form_token("code")
    receipt = tokens.receipt_make("code", 9)
    settings.SECRET_KEY = "the-new-secret-key-" + "y" * 40
    assert not tokens.form_token_valid("code", token)  # not without the fallback
    settings.SECRET_KEY_FALLBACKS = ["the-old-secret-key-" + "x" * 40]
    assert tokens.form_token_valid("code", token)
    assert tokens.receipt_click_id("code", receipt) == 9
    assert tokens.form_token("code") == django_signer(tokens._FORM_SALT + "code").sign("download")
