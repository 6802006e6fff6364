"""Format checks (ST-VAL-004 and the format rules each test names)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from lrs.xapi import primitives as p


@pytest.mark.parametrize(
    "value",
    [
        "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "FD41C918-B88B-4B20-A0A5-A4C32391AAA0",
        "00000000-0000-0000-0000-000000000000",
        "6ba7b810-9dad-11d1-80b4-00c04fd430c8",  # version 1 (ST-VAL-021)
    ],
)
def test_st_val_020_021_uuid_accepts_canonical_form_any_version(value: str) -> None:
    assert p.is_uuid(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "fd41c918b88b4b20a0a5a4c32391aaa0",
        "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}",
        "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "fd41c918-b88b-4b20-a0a5-a4c32391aaa",
        "fd41c918-b88b-4b20-a0a5-a4c32391aaa0\n",
        "gd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    ],
)
def test_st_val_020_uuid_refuses_other_forms(value: str) -> None:
    assert not p.is_uuid(value)


@pytest.mark.parametrize(
    "value",
    [
        "http://adlnet.gov/expapi/verbs/completed",
        "https://example.com/a?b=c#d",
        "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "tag:example.com,2024:thing",
        "http://例え.jp/動詞",
        "http://example.com/%20space",
        "mailto:someone@example.com",
    ],
)
def test_st_val_160_iri_accepts_absolute_iris(value: str) -> None:
    assert p.is_iri(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "example.com/verb",
        "/relative/path",
        "http://example.com/with space",
        "http:",
        "1http://example.com",
        "http://example.com/<tag>",
        "http://example.com/%zz",
        "http://example.com/\n",
    ],
)
def test_st_val_009_iri_refuses_relative_or_broken(value: str) -> None:
    assert not p.is_iri(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://example.com", True),
        ("https://user@example.com:8080/x", True),
        ("urn:isbn:0451450523", True),
        ("http://", False),
        ("http:///path", False),
        ("https:example.com", False),
        ("not a url", False),
    ],
)
def test_st_val_160_irl(value: str, expected: bool) -> None:
    assert p.is_irl(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mailto:alice@example.com", True),
        ("mailto:first.last+tag@sub.example.co.uk", True),
        ("alice@example.com", False),
        ("mailto:", False),
        ("mailto:alice", False),
        ("mailto:alice@", False),
        ("mailto:@example.com", False),
        ("mailto:a@b@c", False),
        ("mailto:alice @example.com", False),
        ("MAILTO:alice@example.com", False),
    ],
)
def test_st_val_032_mailto(value: str, expected: bool) -> None:
    assert p.is_mailto(value) is expected


def test_st_val_033_sha1_hex() -> None:
    assert p.is_sha1_hex("ebd31e95054c018b10727ccffd2ef2ec3a016ee9")
    assert p.is_sha1_hex("EBD31E95054C018B10727CCFFD2EF2EC3A016EE9")
    assert not p.is_sha1_hex("ebd31e95054c018b10727ccffd2ef2ec3a016ee")
    assert not p.is_sha1_hex("zbd31e95054c018b10727ccffd2ef2ec3a016ee9")


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        (64, True),
        (96, True),
        (128, True),
        (40, False),
        (63, False),
        (65, False),
        (100, False),
        (0, False),
    ],
)
def test_att_013_sha2_hex_lengths(length: int, expected: bool) -> None:
    assert p.is_sha2_hex("a" * length) is expected


def test_att_013_sha2_refuses_non_hex() -> None:
    assert not p.is_sha2_hex("g" * 64)


@pytest.mark.parametrize(
    "tag",
    [
        "en",
        "en-US",
        "EN-us",
        "zh-Hant-TW",
        "es-419",
        "x-private",
        "de-CH-1901",
        "sl-rozaj-biske",
        "en-a-bbb-x-a-ccc",
        "zh-yue-HK",
        "i-klingon",
        "en-GB-oed",
        "und",
        "sgn-ase",
    ],
)
def test_st_val_151_language_tag_accepts(tag: str) -> None:
    assert p.is_language_tag(tag)


@pytest.mark.parametrize(
    "tag",
    [
        "",
        "en-",
        "12345",
        "e",
        "en_US",
        "toolonglang",
        "en-US-",
        "-en",
        "en--US",
        "a-DE",
        "x",
        "en-x",
    ],
)
def test_st_val_151_language_tag_refuses(tag: str) -> None:
    assert not p.is_language_tag(tag)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/plain", True),
        ("application/json; charset=utf-8", True),
        ('multipart/mixed; boundary="a b"', True),
        ("application/vnd.example+json", True),
        ("text", False),
        ("text/", False),
        ("/plain", False),
        ("text/plain;", False),
        ("", False),
    ],
)
def test_st_val_136_media_type(value: str, expected: bool) -> None:
    assert p.is_media_type(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T12:30:00Z", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01t12:30:00z", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T12:30:00.123Z", datetime(2024, 5, 1, 12, 30, 0, 123000, tzinfo=UTC)),
        ("2024-05-01T12:30:00.123456789Z", datetime(2024, 5, 1, 12, 30, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T12:30:00.1Z", datetime(2024, 5, 1, 12, 30, 0, 100000, tzinfo=UTC)),
        ("2024-05-01T14:30:00+02:00", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T14:30:00+0200", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T14:30:00+02", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T07:00:00-05:30", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T12:30:00-00:00", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T12:30:00", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T12:30Z", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2017, 1, 1, tzinfo=UTC)),
        ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
    ],
)
def test_st_val_120_121_125_timestamp_forms_convert_to_utc(value: str, expected: datetime) -> None:
    parsed = p.parse_timestamp(value)
    assert parsed == expected
    assert parsed.utcoffset() is not None
    assert parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2024-05-01",
        "2024-05-01 12:30:00Z",
        "20240501T123000Z",
        "2023-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-05-01T25:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T12:60:00Z",
        "2024-05-01T12:30:61Z",
        "2024-05-01T12:30:00+24:00",
        "2024-05-01T12:30:00+02:60",
        "2024-05-01T12:30:00.Z",
        "0000-01-01T00:00:00Z",
        "2024-05-01T12:30:00ZZ",
        "yesterday",
        "2024-05-01T12:30:00Z\n",
        "\uff12\uff10\uff12\uff14-05-01T12:30:00Z",  # full-width digits
    ],
)
def test_st_val_120_timestamp_refusals(value: str) -> None:
    with pytest.raises(ValueError, match=r"must be|out of range|not a real"):
        p.parse_timestamp(value)


def test_st_val_120_timestamp_overflow_at_the_edge_of_time_is_refused() -> None:
    with pytest.raises(ValueError, match="not a real"):
        p.parse_timestamp("0001-01-01T00:00:00+01:00")


@pytest.mark.parametrize(
    "value",
    [
        "P1Y",
        "P1Y2M3DT4H5M6S",
        "PT0S",
        "PT1.5S",
        "PT0.001S",
        "P0.5D",
        "P3W",
        "P1.5W",
        "PT36H",
        "P1DT12H",
        "PT1,5S",
        "P10M",
        "PT10M",
    ],
)
def test_st_val_140_143_duration_accepts(value: str) -> None:
    assert p.is_duration(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "P",
        "PT",
        "P1DT",
        "1Y",
        "P1S",
        "PT1D",
        "P1M1Y",
        "P1.5DT1H",
        "PT1.5H30M",
        "P0003-01-29T04:35:59",
        "P4W1D",
        "P1Y2W",
        "-P1D",
        "P-1D",
        "pt1s",
        "P1D ",
    ],
)
def test_st_val_140_141_142_duration_refuses(value: str) -> None:
    assert not p.is_duration(value)


@pytest.mark.parametrize(
    ("value", "semver", "xapi"),
    [
        ("1.0.0", True, True),
        ("1.0.3", True, True),
        ("2.0.0", True, True),
        ("2.0.7-rc.1+build.5", True, True),
        ("1.1.0", True, False),
        ("3.0.0", True, False),
        ("1.0", False, False),
        ("1.0.x", False, False),
        ("01.0.0", False, False),
        ("1.0.0-", False, False),
        ("", False, False),
    ],
)
def test_st_val_132_semver(value: str, semver: bool, xapi: bool) -> None:
    assert p.is_semver(value) is semver
    assert p.is_semver_xapi_version(value) is xapi


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (p.is_iri, "http://example.com/a", True),
        (p.is_iri, "example.com/a", False),
        (p.is_irl, "https://example.com/", True),
        (p.is_irl, "https:///no-host", False),
        (p.is_mailto, "mailto:ann@example.com", True),
        (p.is_mailto, "MAILTO:ann@example.com", False),
        (p.is_language_tag, "en-US", True),
        (p.is_language_tag, "en_US", False),
    ],
)
def test_remembered_checks_give_the_same_answer_every_time(
    check: Callable[[str], bool], value: str, expected: bool
) -> None:
    """The checks keep recent answers; asking again must not change the verdict."""
    assert [check(value) for _ in range(3)] == [expected] * 3


def test_st_val_009_long_iris_are_checked_in_full() -> None:
    """Strings too long to be remembered are still checked, quickly, good or bad."""
    path = "/segment" * 20_000
    assert p.is_iri("http://example.com" + path)
    assert p.is_irl("http://example.com" + path)
    assert not p.is_iri("http://example.com" + path + " ")
    assert not p.is_iri("http://example.com" + path + "%zz")
    assert p.is_iri("http://example.com" + path + "%20")


@pytest.mark.parametrize(
    ("common", "general"),
    [
        ("2024-05-01T14:30:00.5+02:00", "2024-05-01t14:30:00,5+0200"),
        ("2024-05-01T12:30:00.123456Z", "2024-05-01T12:30:00.123456789z"),
        ("2024-05-01T00:29:00+23:59", "2024-05-01T00:29+2359"),
        ("2024-04-30T12:31:00-23:59", "2024-04-30T12:31-2359"),
        ("2024-05-01T12:30:00-00:00", "2024-05-01T12:30"),
    ],
)
def test_st_val_120_common_and_general_forms_agree(common: str, general: str) -> None:
    """The everyday RFC 3339 form and the other ISO 8601 spellings read as the same instant."""
    assert p.parse_timestamp(common) == p.parse_timestamp(general)
    assert p.parse_timestamp(common).tzinfo is UTC
