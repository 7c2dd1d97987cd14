"""The landing page filled into its skeleton is byte-for-byte the template rendered with the
same values: every shape, both languages, any text a share may hold."""

from types import SimpleNamespace

from django.template import loader
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sharelinks import skeletons

TEMPLATE = "sharelinks/landing.html"
SHAPE = {
    name: st.booleans()
    for name in (
        "greet", "has_message", "has_content_type", "owner_named", "owner_has_email",
        "counted_left", "resume", "stale", "ask_password", "wrong_password",
    )
}  # fmt: skip
VALUES = (
    "filename", "message", "size", "content_type", "owner_name", "owner_email", "until",
    "downloads_left", "person_name", "token",
)  # fmt: skip
# Any text, and the characters that matter here: HTML's, the markers' own, Japanese.
TEXT = st.text(alphabet=st.sampled_from("<>&\"' a/\n\ue000\ue001見積書_") | st.characters())


@settings(max_examples=300, deadline=None)
@given(
    language=st.sampled_from(["en", "ja"]),
    shape=st.fixed_dictionaries(SHAPE),
    values=st.fixed_dictionaries(dict.fromkeys(VALUES, TEXT)),
    path=st.sampled_from(["/s/abc", '/s/<x>&"y"', "/s/\ue000path\ue001"]),
)
@example(
    language="ja",
    shape=dict.fromkeys(SHAPE, True),
    values={**dict.fromkeys(VALUES, "<b>&amp;</b>"), "filename": "\ue000token\ue001"},
    path="/s/abc",
)
def test_the_filled_skeleton_is_the_rendered_template(language, shape, values, path):
    with translation.override(language):
        shape = {**shape, "LANGUAGE_CODE": language, "languages": (("en", "English"),)}
        direct = loader.render_to_string(
            TEMPLATE, {**shape, **values, "request": SimpleNamespace(path=path)}
        )
        assert skeletons.page(TEMPLATE, shape, values, path=path) == direct


def test_a_shape_is_rendered_once_per_language():
    skeletons.forget()
    shape = {"greet": True, "language": "en"}
    values = dict.fromkeys(VALUES, "x")
    for _ in range(3):
        skeletons.page(TEMPLATE, shape, values, path="/s/a")
    with translation.override("ja"):
        skeletons.page(TEMPLATE, shape, values, path="/s/a")
    assert len(skeletons._skeletons) == 2
