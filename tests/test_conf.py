"""The settings table: one kind per setting bounds it wherever it is set, read or shown."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from sharelinks import conf, signing
from sharelinks.conf import app_settings
from sharelinks.settingtypes import (
    Bool,
    Choice,
    Duration,
    Int,
    Names,
    Origin,
    Rate,
    Str,
    Url,
)


def a_bad_value(kind):
    """A value of the wrong kind or outside the range, as a settings file might hold."""
    if isinstance(kind, Int):
        return kind.low - 1
    bad = {Rate: 0, Bool: "false", Duration: timedelta(0), Names: "bucket-a,bucket-b",
           Choice: "nope", Origin: "files.example.com", Url: "localhost", Str: None}  # fmt: skip
    return bad[type(kind)]


@pytest.mark.parametrize("setting", conf.SETTINGS, ids=lambda setting: setting.name)
def test_a_value_out_of_range_in_django_settings_fails_on_first_use(setting):
    bad = override_settings(**{f"SHARELINKS_{setting.name}": a_bad_value(setting.kind)})
    with bad, pytest.raises(ImproperlyConfigured, match=f"^SHARELINKS_{setting.name}[ =]"):
        getattr(app_settings, setting.name)
    getattr(app_settings, setting.name)  # the test settings' own value is fine again


@override_settings(SHARELINKS_URL_TTL=604801)
def test_the_url_ttl_range_is_sigv4s():
    with pytest.raises(ImproperlyConfigured) as err:
        app_settings.URL_TTL  # noqa: B018
    assert str(err.value) == "SHARELINKS_URL_TTL=604801: must be 1 to 604800 (seconds)"


@override_settings(SHARELINKS_URL_TTL=120, SHARELINKS_SOURCE_BUCKETS=["a", "b"])
def test_values_in_range_are_served_as_set():
    assert app_settings.URL_TTL == 120
    assert app_settings.SOURCE_BUCKETS == ["a", "b"]


def test_an_unknown_name_is_an_attribute_error_naming_the_setting():
    with pytest.raises(AttributeError, match="SHARELINKS_URL_TLL is not a sharelinks setting"):
        app_settings.URL_TLL  # noqa: B018


def test_booleans_are_not_numbers_and_numbers_are_not_booleans():
    assert Int(0).problem(True) == "not a whole number"
    assert Bool().problem(1) == "use True or False"
    assert Rate().problem(0.5) == ""
    assert Rate().problem(float("inf")) == "must be a number above 0"


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        (Bool(), "Yes", True),
        (Bool(), "off", False),
        (Int(0, 10), "10", 10),
        (Duration(), "36h", timedelta(hours=36)),
        (Names(), " a , b ,, ", ["a", "b"]),
        (Choice("s3", "cloudfront"), "CLOUDFRONT", "cloudfront"),
        (Origin(), "https://files.example.com/", "https://files.example.com"),
        (Url(), "redis://redis.internal:6379/0", "redis://redis.internal:6379/0"),
    ],
)
def test_environment_text_is_parsed_as_people_write_it(kind, text, value):
    assert kind.parse(text) == value


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (Bool(), "maybe", "use true or false"),
        (Int(1, 5), "6", "must be 1 to 5"),
        (Int(1), "1.5", "not a whole number"),
        (Duration(), "9999999999d", "must be a duration (90m, 36h, 7d) from 1s to 36500d"),
        (Duration(), "soon", "not a duration: use a number with s, m, h, d or w"),
        (Origin(), "https://files.example.com/share", "(no path)"),
        (Url(), "db.internal", "use a URL such as scheme://host/..."),
    ],
)
def test_bad_environment_text_says_what_was_expected(kind, text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        kind.parse(text)


def test_durations_are_shown_as_they_are_written():
    assert [Duration().show(timedelta(**unit)) for unit in (
        {"days": 90}, {"hours": 36}, {"minutes": 90}, {"seconds": 45},
    )] == ["90d", "36h", "90m", "45s"]  # fmt: skip


def test_the_signer_choices_are_the_signers_the_app_has():
    assert conf.BY_NAME["SIGNER"].kind.choices == signing.SIGNERS


def test_every_default_is_within_its_own_range_and_documented():
    for setting in conf.SETTINGS:
        assert setting.kind.problem(setting.default) == "", setting.name
        assert setting.doc.endswith("."), setting.name
        assert setting.section, setting.name
    assert conf.DEFAULTS["URL_TTL"] == 60


@pytest.mark.parametrize("ttl", [1, 604800])
def test_a_url_ttl_from_one_second_to_seven_days_is_served_as_set(ttl):
    with override_settings(SHARELINKS_URL_TTL=ttl):
        assert ttl == app_settings.URL_TTL
