"""The download's POST is read for its token without Django's QueryDict, and must read
exactly what request.POST would: any body a browser, a script or an attacker may send."""

from urllib.parse import quote, quote_plus

import pytest
from django.core.exceptions import TooManyFieldsSent
from django.test import RequestFactory
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sharelinks.views import _form_field

FORM = "application/x-www-form-urlencoded"
NAMES = st.sampled_from(["token", "password", "tok", "token ", "tökén", "x", ""])
# No lone surrogates: no browser or script can send one (they cannot be encoded).
VALUES = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20)
ENCODERS = st.sampled_from([quote_plus, quote, lambda text: text])  # raw: '&', '=', '%' as-is


def posted(body: bytes, content_type: str = FORM):
    return RequestFactory().generic("POST", "/s/abc", body, content_type=content_type)


def outcome(read, body: bytes, content_type: str):
    """What read(request) gives on a request of its own: a value, or the error's type."""
    try:
        return read(posted(body, content_type))
    except Exception as err:  # the error itself is the outcome compared
        return type(err)


def both(body: bytes, name: str, content_type: str = FORM):
    """(_form_field's answer, request.POST's)."""
    return (
        outcome(lambda request: _form_field(request, name), body, content_type),
        outcome(lambda request: request.POST.get(name, ""), body, content_type),
    )


@given(
    fields=st.lists(st.tuples(NAMES, VALUES, ENCODERS), max_size=6),
    separator=st.sampled_from(["&", "&&", ";", "&=&"]),
    name=NAMES,
    charset=st.sampled_from(["", "; charset=utf-8", "; charset=UTF-8", "; charset=latin-1"]),
)
@example(fields=[("token", "a:b:c", quote), ("token", "last", quote)], separator="&",
         name="token", charset="")  # fmt: skip
@settings(max_examples=300, deadline=None)
def test_a_field_is_read_as_request_post_reads_it(fields, separator, name, charset):
    # Another charset than UTF-8 is Django's 400 (BadRequest) either way.
    body = separator.join(f"{encode(key)}={encode(value)}" for key, value, encode in fields)
    mine, djangos = both(body.encode(), name, FORM + charset)
    assert mine == djangos


@pytest.mark.parametrize(
    "body",
    [
        b"token=%ff%fe&x=1",  # percent-encoded bytes that are not UTF-8
        b"token=\xe9t\xe9",  # raw Latin-1: not UTF-8, decoded as Latin-1 like QueryDict
        b"token",  # a name without "="
        b"=&token=&=x",
        b"token=a+b%2Bc",
    ],
)
def test_odd_bodies_read_the_same(body):
    mine, djangos = both(body, "token")
    assert mine == djangos


def test_a_multipart_body_is_left_to_request_post():
    boundary = "BoUnDaRy"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="token"\r\n\r\n'
        f"from multipart\r\n--{boundary}--\r\n"
    ).encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    assert both(body, "token", content_type) == ("from multipart", "from multipart")


def test_too_many_fields_is_the_same_400(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    assert both(b"a=1&b=2&c=3&token=4", "token") == (TooManyFieldsSent, TooManyFieldsSent)
    assert both(b"a=1&b=2&token=4", "token") == ("4", "4")
