"""Business hours of a door: opening hours per weekday in the door's timezone, minus its
public holidays (the `holidays` library, by country and region).

Every interval is turned into UTC instants through the door's IANA zone, so counting stays
right across a DST change (a 09:00-18:00 day is 9 real hours on either side of it).
"""

from __future__ import annotations

import itertools
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A deadline past this many days of closed doors is never reached (a door with no opening).
MAX_DAYS = 3 * 366
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")
_DAY = 24 * 60

# Minutes since local midnight: [(open, close), ...] per weekday, Monday first.
Week = tuple[tuple[tuple[int, int], ...], ...]


@dataclass(frozen=True)
class Schedule:
    """When a door counts business hours. No `week` means open all day, every day."""

    timezone: str = "UTC"
    week: Week | None = None
    country: str | None = None
    region: str | None = None


def _minutes(text: str) -> int:
    if _TIME.fullmatch(text) is None:
        raise ValueError(f"{text!r} is not a time HH:MM (00:00 to 24:00)")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _days(text: str) -> list[int]:
    found: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().lower().partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"{part.strip()!r} is not a day or day range such as mon-fri")
        start = WEEKDAYS.index(first)
        end = WEEKDAYS.index(last) if last else start
        if end < start:
            raise ValueError(f"day range {part.strip()!r} runs backwards")
        found.extend(range(start, end + 1))
    return found


def _intervals(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for part in text.split(","):
        opening, sep, closing = part.strip().partition("-")
        if not sep:
            raise ValueError(f"{part.strip()!r} is not an interval such as 09:00-18:00")
        start, end = _minutes(opening.strip()), _minutes(closing.strip())
        if end <= start:
            raise ValueError(f"{part.strip()!r} closes before it opens")
        spans.append((start, end))
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise ValueError(f"intervals overlap in {text.strip()!r}")
    return spans


def parse_opening_hours(text: str) -> Week:
    """``"mon-fri 09:00-18:00; sat 10:00-13:00,14:00-17:00"``: groups separated by ';',
    each days (a day, a range, or a comma list) then intervals. Unnamed days are closed."""
    week: list[tuple[tuple[int, int], ...] | None] = [None] * 7
    for group in text.split(";"):
        if not group.strip():
            continue
        days, _, spans = group.strip().partition(" ")
        intervals = tuple(_intervals(spans))
        for day in _days(days):
            if week[day] is not None:
                raise ValueError(f"{WEEKDAYS[day]} is given twice")
            week[day] = intervals
    if all(day is None for day in week):
        raise ValueError("no opening at all; give at least one day, e.g. mon-fri 09:00-18:00")
    return tuple(day or () for day in week)


def check_holidays(country: str, region: str | None) -> None:
    """ValueError unless the `holidays` library knows the country (ISO 3166-1 alpha-2)
    and, when given, its region (subdivision code)."""
    try:
        holidays.country_holidays(country, subdiv=region, years=2000)
    except NotImplementedError as exc:
        raise ValueError(str(exc).strip() or f"unknown country {country!r}") from None


@lru_cache(maxsize=4096)
def _holiday_dates(country: str, region: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=region, years=year).keys())


def is_holiday(schedule: Schedule, day: date) -> bool:
    if schedule.country is None:
        return False
    return day in _holiday_dates(schedule.country, schedule.region, day.year)


def _instant(day: date, minutes: int, zone: zoneinfo.ZoneInfo) -> datetime:
    if minutes == _DAY:
        day, minutes = day + timedelta(days=1), 0
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC)


@lru_cache(maxsize=65536)
def _day(schedule: Schedule, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The open intervals (UTC) of one local day: the same few days recur across cases."""
    if is_holiday(schedule, day):
        return ()
    zone = zoneinfo.ZoneInfo(schedule.timezone)
    week = schedule.week or (((0, _DAY),),) * 7
    return tuple(
        (_instant(day, opening, zone), _instant(day, closing, zone))
        for opening, closing in week[day.weekday()]
    )


def open_intervals(schedule: Schedule, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The door's open intervals (UTC) from `start` on, in order, clipped at `start`."""
    first = start.astimezone(zoneinfo.ZoneInfo(schedule.timezone)).date() - timedelta(days=1)
    for offset in range(MAX_DAYS):
        for low, high in _day(schedule, first + timedelta(days=offset)):
            if high > start:
                yield max(low, start), high


def _always_open(schedule: Schedule) -> bool:
    return schedule.week is None and schedule.country is None


def add_business(schedule: Schedule, start: datetime, hours: float) -> datetime | None:
    """The instant `hours` business hours after `start` (counting from the next opening
    when `start` is outside hours); None when the door never opens long enough."""
    remaining = timedelta(hours=hours)
    if _always_open(schedule):
        return start + remaining
    for low, high in open_intervals(schedule, start):
        if high - low >= remaining:
            return low + remaining
        remaining -= high - low
    return None


def business_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """Open time between two instants (zero when `end` is not after `start`)."""
    if end <= start:
        return timedelta(0)
    if _always_open(schedule):
        return end - start
    total = timedelta(0)
    for low, high in open_intervals(schedule, start):
        if low >= end:
            break
        total += min(high, end) - low
    return total
