"""Content-Disposition for downloads (RFC 6266 with RFC 5987's filename* for any name)."""

from urllib.parse import unquote

import pytest

from sharelinks.disposition import ascii_fallback, content_disposition


def filename_star(header: str) -> str:
    return unquote(header.split("filename*=UTF-8''")[1])


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("report.pdf", "report.pdf"),
        ("Résumé.pdf", "Resume.pdf"),
        ("見積書 2026.pdf", "___ 2026.pdf"),
        ('say "hi" \\ there.txt', "say _hi_ _ there.txt"),
        ("50%; off.txt", "50__ off.txt"),
        ("見積書", "___"),
    ],
)
def test_the_ascii_fallback_is_a_safe_quoted_string(name, fallback):
    assert ascii_fallback(name) == fallback
    header = content_disposition(name)
    assert header.startswith(f"attachment; filename=\"{fallback}\"; filename*=UTF-8''")
    assert filename_star(header) == name


def test_unicode_spaces_survive_and_invisible_characters_do_not():
    assert filename_star(content_disposition("見積書\u30002026.pdf")) == "見積書\u30002026.pdf"
    assert filename_star(content_disposition("Q3\u00a0report.pdf")) == "Q3\u00a0report.pdf"
    header = content_disposition("invoice\u202egpj.exe\r\nX-Injected: 1")
    assert "\r" not in header
    assert "\n" not in header
    assert filename_star(header) == "invoicegpj.exeX-Injected: 1"


def test_an_empty_or_invisible_name_downloads_as_download():
    assert content_disposition("\u200b") == (
        "attachment; filename=\"download\"; filename*=UTF-8''download"
    )
