"""Share codes: long enough to be the only secret, safe in a URL, never repeated."""

import base64
import random
import re
import secrets
from collections import Counter
from datetime import UTC, datetime

import time_machine

from sharelinks.codes import code_generate, code_is_wellformed

URL_SAFE = re.compile(r"[A-Za-z0-9_-]{22}")


def test_every_code_is_22_url_safe_characters():
    codes = [code_generate() for _ in range(1000)]
    assert all(URL_SAFE.fullmatch(code) for code in codes), codes


def test_a_code_is_16_random_bytes_from_the_operating_systems_csprng(monkeypatch):
    drawn = []

    def token_bytes(nbytes=None):
        drawn.append(secrets.SystemRandom().randbytes(nbytes))
        return drawn[-1]

    monkeypatch.setattr(secrets, "token_bytes", token_bytes)
    code = code_generate()
    # All of it from one 128-bit draw, and nothing else: the code decodes to those bytes.
    assert [len(raw) for raw in drawn] == [16]
    assert base64.urlsafe_b64decode(code + "==") == drawn[0]


def test_codes_depend_neither_on_the_clock_nor_on_pythons_seeded_random():
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        random.seed(7)
        first = code_generate()
        random.seed(7)
        second = code_generate()
    assert first != second


def test_ten_thousand_codes_never_repeat():
    codes = {code_generate() for _ in range(10_000)}
    assert len(codes) == 10_000


def test_characters_are_spread_evenly():
    # Over 200k characters each of the 64 symbols appears ~3100 times; a biased generator
    # (e.g. modulo bias or a restricted alphabet) would leave some far off.
    counts = Counter("".join(code_generate()[:-1] for _ in range(10_000)))
    assert len(counts) == 64
    expected = sum(counts.values()) / 64
    assert all(abs(n - expected) < expected * 0.15 for n in counts.values())


def test_wellformed_accepts_generated_codes_only():
    assert code_is_wellformed(code_generate())
    assert not code_is_wellformed("")
    assert not code_is_wellformed("short")
    assert not code_is_wellformed("a" * 23)
    assert not code_is_wellformed("a" * 21 + "/")
    assert not code_is_wellformed("a" * 21 + "\n")
    assert not code_is_wellformed("' OR 1=1 --aaaaaaaaaaa")
