"""The README and docs/ stay honest: every relative link leads somewhere, the README stays short.

(That the documented `manage.py` commands work is tests/test_rundev.py's to show.)
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_LIMIT = 9216

# Pages written on another branch: a link to one may land before the page does.
PENDING = {ROOT / "docs" / "architecture.md"}

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", flags=re.MULTILINE | re.DOTALL)


def prose(page: Path) -> str:
    """The page without its code blocks and inline code, where brackets are not links."""
    text = FENCE.sub("", page.read_text())
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(page: Path) -> set[str]:
    """The anchors GitHub makes for a page's headings (lower case, punctuation dropped)."""
    seen: dict[str, int] = {}
    result = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", FENCE.sub("", page.read_text()), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def relative_links() -> list[tuple[Path, str]]:
    return [
        (page, target)
        for page in PAGES
        for target in LINK.findall(prose(page))
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto:
    ]


def test_the_docs_have_pages_and_links():
    assert len(PAGES) > 1
    assert len(relative_links()) > 10


@pytest.mark.parametrize(
    ("page", "target"),
    relative_links(),
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page, target):
    path, _, anchor = target.partition("#")
    destination = (page.parent / path).resolve() if path else page
    if destination in PENDING and not destination.exists():
        return
    assert destination.exists(), f"{page.name}: {target} leads nowhere"
    if anchor:
        assert destination.suffix == ".md", f"{page.name}: {target}: an anchor in a non-page"
        assert anchor in anchors(destination), f"{page.name}: {target}: no such heading"


def test_the_readme_stays_short():
    size = len((ROOT / "README.md").read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes; move detail into docs/"


def test_the_slugs_follow_github():
    page = ROOT / "docs" / "credentials.md"
    assert "cloudfront-signing-sharelinks_signercloudfront" in anchors(page)
