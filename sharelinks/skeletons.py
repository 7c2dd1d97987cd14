"""A page rendered once per shape and language, its values filled in per request.

The landing page is the recipient's first answer and as common as the download itself, and
rendering its template (translations, filters, variable lookups) cost more than the rest of
the request. Its text depends on the share's values only where they are printed, and on
which parts are shown (a greeting, a message, a password field, ...). So the template is
rendered once per shape -- the parts shown, the language, anything else that is the same
for every page of that shape -- with a marker in place of each printed value; the result is
split at the markers, and a request joins the pieces with its own values, escaped as the
template's autoescaping escapes them. tests/test_skeletons.py proves the result is
byte-identical to rendering the template with the same values.

The template must print each value as a bare, autoescaped {{ name }} (no filter): filters
run in Python before (pages.landing), and conditions read the shape, never a value.
"""

import html
import re
from dataclasses import dataclass
from types import SimpleNamespace

from django.template import loader
from django.utils.safestring import SafeString
from django.utils.translation import get_language

# Private-use code points: a template never writes them, and markers are found in the
# rendered skeleton only, never in a request's values (those are joined, not searched).
_MARK = "\ue000{}\ue001"
_MARKS = re.compile("\ue000([a-z_]+)\ue001")
# Shapes are few (each a handful of booleans per language); this only bounds a mistake.
MAX_SKELETONS = 4096


@dataclass(frozen=True)
class Skeleton:
    """The rendered text between values, and which value goes into each gap."""

    pieces: tuple[str, ...]
    names: tuple[str, ...]

    def fill(self, values: dict[str, str]) -> SafeString:
        out = [self.pieces[0]]
        for name, piece in zip(self.names, self.pieces[1:], strict=True):
            out.append(_escaped(values[name]))
            out.append(piece)
        return SafeString("".join(out))


def _escaped(value: str) -> str:
    """What autoescaping prints for a string: django.utils.html.conditional_escape, without
    the lazy-text wrapper that costs more than the escaping (html.escape is what Django's
    own escape calls)."""
    as_html = getattr(value, "__html__", None)
    return as_html() if as_html is not None else html.escape(value)


_skeletons: dict[tuple, Skeleton] = {}


def page(template: str, shape: dict, values: dict[str, str], *, path: str) -> SafeString:
    """The template rendered with shape and values; `path` is the request's (request.path).

    shape: what is the same for every page of its kind (booleans, the language list); its
    items must be hashable. values: the strings the page prints, escaped here.
    """
    key = (template, get_language(), tuple(sorted(shape.items())), tuple(sorted(values)))
    skeleton = _skeletons.get(key)
    if skeleton is None:
        skeleton = _built(template, shape, [*values, "path"])
        if len(_skeletons) < MAX_SKELETONS:
            _skeletons[key] = skeleton
    return skeleton.fill({**values, "path": path})


def _built(template: str, shape: dict, names: list[str]) -> Skeleton:
    marks = {name: _MARK.format(name) for name in names}
    context = {**shape, **marks, "request": SimpleNamespace(path=marks["path"])}
    parts = _MARKS.split(loader.render_to_string(template, context))
    return Skeleton(tuple(parts[0::2]), tuple(parts[1::2]))


def forget() -> None:
    """Drop every skeleton (templates or translations changed: tests)."""
    _skeletons.clear()
