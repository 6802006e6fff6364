"""Format checks for the value types xAPI names (ST-VAL-004): small pure functions.

IRI checks are best effort as ST-VAL-014 allows: they make sure a value is absolute (has a
scheme, ST-VAL-009) and holds nothing RFC 3987 forbids outright, without a full grammar.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache, wraps

__all__ = [
    "is_duration",
    "is_iri",
    "is_irl",
    "is_language_tag",
    "is_mailto",
    "is_media_type",
    "is_semver",
    "is_semver_xapi_version",
    "is_sha1_hex",
    "is_sha2_hex",
    "is_uuid",
    "parse_timestamp",
]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_SHA2 = re.compile(r"[0-9a-fA-F]{64}(?:[0-9a-fA-F]{32}(?:[0-9a-fA-F]{32})?)?")

# RFC 3987: no spaces, controls, or the characters it excludes ("<>\"{}|\\^`"); a "%" must
# start a percent-encoded octet. Runs of plain characters are matched possessively, a whole
# run per step instead of one character per alternation, which is several times faster.
_IRI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:"
    r"(?:[^\x00-\x20\x7f-\x9f<>\"{}|\\^`%]++|%[0-9A-Fa-f]{2})+"
)
_HIERARCHICAL = re.compile(r"(?i:https?|ftp|wss?)://(?:[^/?#@]*@)?[^/?#@:]+")
_MAILTO = re.compile(r"mailto:[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"/?#]+")

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z\-]+"
_MEDIA_TYPE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|\"(?:[^\"\\]|\\.)*\"))*[ \t]*"
)

# RFC 5646 section 2.1 (langtag / privateuse / grandfathered), matched case-insensitively.
_LANGTAG = re.compile(
    r"""
    (?:
      (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})   # language (+ extlang)
      (?:-[a-z]{4})?                                       # script
      (?:-(?:[a-z]{2}|[0-9]{3}))?                          # region
      (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*             # variants
      (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*                  # extensions
      (?:-x(?:-[a-z0-9]{1,8})+)?                           # private use suffix
    |
      x(?:-[a-z0-9]{1,8})+                                 # private use only
    |
      en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo
      |i-pwn|i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de
    )
    """,
    re.IGNORECASE | re.VERBOSE | re.ASCII,
)

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?",
    re.ASCII,
)

# The RFC 3339 form clients nearly always send; `datetime.fromisoformat` reads it much faster
# than the general path, which still handles (and explains) anything it refuses.
_TIMESTAMP_COMMON = re.compile(
    r"\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)

_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
    rf"|{_NUM}W)",
    re.ASCII,
)
_FRACTION_NOT_LAST = re.compile(r"[.,]\d+[A-Z]+\d", re.ASCII)

_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-(?:0|[1-9]\d*|\d*[A-Za-z\-][0-9A-Za-z\-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z\-][0-9A-Za-z\-]*))*)?"
    r"(?:\+[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?",
    re.ASCII,
)


# The same IRIs, language tags and addresses come back statement after statement (verb ids,
# activity ids, extension keys, homePages, actors), so the pure checks below remember recent
# answers. Memory stays bounded: at most _MEMO_SIZE entries per check, and longer strings
# than _MEMO_MAX_LEN are always checked afresh and never kept.
_MEMO_SIZE = 4096
_MEMO_MAX_LEN = 256


def _memo(check: Callable[[str], bool]) -> Callable[[str], bool]:
    cached = lru_cache(maxsize=_MEMO_SIZE)(check)

    @wraps(check)
    def memoised(value: str) -> bool:
        if len(value) > _MEMO_MAX_LEN:
            return check(value)
        return cached(value)

    return memoised


def is_uuid(value: str) -> bool:
    """Hyphenated 8-4-4-4-12 hex form, any version, either case (ST-VAL-020, ST-VAL-021)."""
    return _UUID.fullmatch(value) is not None


def is_sha1_hex(value: str) -> bool:
    """40 hex digits, as `mbox_sha1sum` needs (ST-VAL-033)."""
    return _SHA1.fullmatch(value) is not None


def is_sha2_hex(value: str) -> bool:
    """A SHA-256, SHA-384 or SHA-512 hex digest, told apart by length (ATT-013, ST-VAL-138)."""
    return _SHA2.fullmatch(value) is not None


@_memo
def is_iri(value: str) -> bool:
    """An absolute IRI: a scheme, then a non-empty rest (ST-VAL-009, ST-VAL-014, ST-VAL-160)."""
    return _IRI.fullmatch(value) is not None


@_memo
def is_irl(value: str) -> bool:
    """An IRI that can locate something: web schemes must name a host (ST-VAL-160)."""
    if not is_iri(value):
        return False
    scheme = value.split(":", 1)[0].lower()
    if scheme in ("http", "https", "ftp", "ws", "wss"):
        return _HIERARCHICAL.match(value) is not None
    return True


@_memo
def is_mailto(value: str) -> bool:
    """A `mailto:` IRI holding one plausible e-mail address (ST-VAL-032).

    The scheme must be written in lower case: `mbox` is an identifier compared as a string
    (STR-Q-003), and the specification spells it ``mailto:``.
    """
    return _MAILTO.fullmatch(value) is not None and is_iri(value)


@_memo
def is_language_tag(value: str) -> bool:
    """RFC 5646 subtag structure, which is the minimum ST-VAL-151 asks for."""
    return _LANGTAG.fullmatch(value) is not None


def is_media_type(value: str) -> bool:
    """``type/subtype`` with optional parameters (RFC 6838 / RFC 9110 tokens)."""
    return _MEDIA_TYPE.fullmatch(value) is not None


_NEGATIVE_ZERO_OFFSET = re.compile(r"[Tt][0-9:.,]*-00(?::?00)?\Z")


def has_negative_zero_offset(value: str) -> bool:
    """A date-time whose offset is ``-00``, ``-0000`` or ``-00:00`` (REF-003)."""
    return _NEGATIVE_ZERO_OFFSET.search(value) is not None


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO 8601 combined date-time into an aware UTC datetime (ST-VAL-120..125).

    Accepts every RFC 3339 form plus ISO 8601 extended variants: seconds may be left out,
    the fraction may have any length (kept to microseconds, ST-VAL-123) and the offset may be
    ``Z``, ``+hh:mm``, ``+hhmm`` or ``+hh``; ``-00:00`` reads as UTC here (statement
    timestamps refuse it first, REF-003). A value with no zone at
    all is read as UTC: neither specification says how to treat one (see the requirements'
    gaps section), refusing it would lose data clients send in practice, and UTC is the zone
    the LRS reports in anyway. Raises ``ValueError`` with a reason.
    """
    if _TIMESTAMP_COMMON.fullmatch(value) is not None:
        try:
            return datetime.fromisoformat(value).astimezone(UTC)
        except (ValueError, OverflowError):
            pass  # a leap second, an impossible date or offset: the general path says which
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        raise ValueError("must be an ISO 8601 date-time such as 2024-05-01T12:30:00.000Z")
    year, month, day, hh, mi, ss, fraction, _, sign, off_hours, off_minutes = match.groups()
    hour, minute, second = int(hh), int(mi), int(ss or 0)
    if hour > 23 or minute > 59 or second > 60:
        raise ValueError("has a time of day out of range")
    micro = int((fraction + "000000")[:6]) if fraction else 0
    offset = _offset(sign, off_hours, off_minutes)
    try:
        # RFC 3339 allows a leap second (60); datetime cannot hold it, so it rolls over.
        moment = datetime(
            int(year), int(month), int(day), hour, minute, min(second, 59), micro, tzinfo=offset
        )
        if second == 60:
            moment += timedelta(seconds=1)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError("is not a real calendar date and time") from None


def _offset(sign: str | None, hours: str | None, minutes: str | None) -> timezone:
    if sign is None or hours is None:
        return UTC
    hh, mm = int(hours), int(minutes or 0)
    if hh > 23 or mm > 59:
        raise ValueError("has a time-zone offset out of range")
    delta = timedelta(hours=hh, minutes=mm)
    return timezone(-delta if sign == "-" else delta)


def is_duration(value: str) -> bool:
    """ISO 8601 designator-form duration (ST-VAL-140..143).

    ``PnYnMnDTnHnMnS`` with at least one element, a ``T`` only before time elements and a
    fraction only on the last element, or ``PnW`` alone. The alternative form
    (``P0003-01-29T04:35:59``) and mixed weeks (``P4W1D``) fail.
    """
    if _DURATION.fullmatch(value) is None:
        return False
    if value in ("P", "PT") or value.endswith("T"):
        return False
    return _FRACTION_NOT_LAST.search(value) is None


def is_semver(value: str) -> bool:
    """A Semantic Versioning 2.0.0 string (ST-VAL-132)."""
    return _SEMVER.fullmatch(value) is not None


def is_semver_xapi_version(value: str) -> bool:
    """A semver string for a version this LRS knows: ``1.0.x`` or ``2.0.x`` (ST-VAL-131/132)."""
    return is_semver(value) and value.startswith(("1.0.", "2.0."))
