"""Finnish personal identity codes: validation on valid and invalid examples, detection."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.privacy.hetu import CHECK_CHARACTERS, CENTURY_SIGNS, find_hetus, is_valid_hetu, mask_hetu


@pytest.mark.parametrize("code", ["131052-308T", "010594Y9032", "020516C903K", "020504B904H",
                                  "131052X308T", "131052U308T", " 131052-308T "])
def test_valid_codes(code):
    assert is_valid_hetu(code)


@pytest.mark.parametrize("code", [
    "131052-308U",   # wrong check character
    "310252-308Y",   # 31 February
    "131052/308T",   # '/' is no century sign
    "1310523308T",   # a digit is no century sign
    "131052G308T",   # G is not a century sign
    "131052-001T",   # individual number 001 is not issued
    "131052-308",    # too short
    "", "hetu",
])
def test_invalid_codes(code):
    assert not is_valid_hetu(code)


def _make(day, month, year, individual):
    sign = {1800: "+", 1900: "-", 2000: "A"}[year // 100 * 100]
    body = f"{day:02d}{month:02d}{year % 100:02d}"
    return f"{body}{sign}{individual:03d}{CHECK_CHARACTERS[int(body + f'{individual:03d}') % 31]}"


def test_century_is_resolved_before_the_date():
    assert not is_valid_hetu(_make(29, 2, 1800, 123))   # 1800: not a leap year
    assert is_valid_hetu(_make(29, 2, 2000, 123))       # 2000: leap year
    assert not is_valid_hetu(_make(29, 2, 1900, 123))   # 1900: not a leap year
    code_2000 = _make(29, 2, 2000, 123)
    # same digits with '-' (1900) must fail: 29.2.1900 did not exist
    assert not is_valid_hetu(code_2000.replace("A", "-"))
    assert is_valid_hetu(code_2000.replace("A", "B"))   # B = 2000s as well


def test_temporary_numbers_optional():
    assert is_valid_hetu("010594Y9032")
    assert not is_valid_hetu("010594Y9032", allow_temporary=False)
    assert is_valid_hetu("131052-308T", allow_temporary=False)


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.integers(2, 999), st.sampled_from(sorted(CENTURY_SIGNS)))
def test_generated_codes_roundtrip(date, individual, sign):
    if CENTURY_SIGNS[sign] != date.year // 100 * 100:
        return
    body = f"{date:%d%m}{date.year % 100:02d}{individual:03d}"
    check = CHECK_CHARACTERS[int(body) % 31]
    code = f"{body[:6]}{sign}{body[6:]}{check}"
    assert is_valid_hetu(code)
    wrong = CHECK_CHARACTERS[(CHECK_CHARACTERS.index(check) + 1) % 31]
    assert not is_valid_hetu(code[:-1] + wrong)
    text = f"Nuoren hetu on {code}, kirjattu."
    assert find_hetus(text) == [(15, 26, code)]


def test_find_in_text_only_valid_and_not_glued():
    text = "Hetut 131052-308T, 131052-308U ja 010594Y9032; ID131052-308T; 131052/308T."
    found = find_hetus(text)
    assert [c for _, _, c in found] == ["131052-308T", "010594Y9032"]
    for start, end, code in found:
        assert text[start:end] == code


def test_mask():
    assert mask_hetu("131052-308T") == "13****-***T"
    assert "308" not in mask_hetu("131052-308T")
