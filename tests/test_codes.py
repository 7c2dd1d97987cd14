"""Share codes: long enough to be the only secret, safe in a URL, never repeated."""

import math
import re
from collections import Counter

from sharelinks.codes import CODE_LENGTH, code_generate, code_is_wellformed


def test_a_code_is_22_url_safe_characters():
    code = code_generate()
    assert len(code) == CODE_LENGTH == 22
    assert re.fullmatch(r"[A-Za-z0-9_-]+", code)


def test_a_code_carries_at_least_128_bits():
    # 21 full base64 characters (6 bits each) plus 2 bits in the last one.
    assert 21 * 6 + 2 >= 128
    assert math.log2(64) * (CODE_LENGTH - 1) + 2 >= 128


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
