"""Business-hour arithmetic: weekends, holidays, timezones, DST, outside-hours starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lrs.service_proof.hours import (
    Schedule,
    add_business,
    business_between,
    check_holidays,
    parse_opening_hours,
)

WEEKDAYS_9_18 = parse_opening_hours("mon-fri 09:00-18:00")
PARIS = Schedule("Europe/Paris", WEEKDAYS_9_18, "FR")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_parse_groups_days_and_intervals() -> None:
    week = parse_opening_hours("mon-fri 09:00-18:00; sat 10:00-13:00,14:00-17:00")
    assert week[0] == ((540, 1080),)
    assert week[5] == ((600, 780), (840, 1020))
    assert week[6] == ()
    assert parse_opening_hours("mon,wed 00:00-24:00")[2] == ((0, 1440),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no opening"),
        ("mon 18:00-09:00", "closes before"),
        ("mon 09:00-12:00,11:00-13:00", "overlap"),
        ("mon 9-12", "not a time"),
        ("fri-mon 09:00-12:00", "backwards"),
        ("moon 09:00-12:00", "not a day"),
        ("mon 09:00-12:00; mon 13:00-14:00", "twice"),
        ("mon 09:00", "not an interval"),
    ],
)
def test_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_opening_hours(text)


def test_within_one_day() -> None:
    # Tuesday 10:00 Paris (winter, UTC+1) + 4 h = 14:00 Paris.
    assert add_business(PARIS, utc(2026, 1, 13, 9), 4) == utc(2026, 1, 13, 13)


def test_across_a_weekend() -> None:
    # Friday 16:00 Paris: 2 h left, Monday 09:00 + 2 h = 11:00 Paris.
    assert add_business(PARIS, utc(2026, 1, 16, 15), 4) == utc(2026, 1, 19, 10)


def test_opened_outside_hours_counts_from_next_opening() -> None:
    # Saturday: counting starts Monday 09:00 Paris.
    assert add_business(PARIS, utc(2026, 1, 17, 12), 1) == utc(2026, 1, 19, 9)
    # Before opening on a weekday.
    assert add_business(PARIS, utc(2026, 1, 13, 5), 1) == utc(2026, 1, 13, 9)


def test_holiday_is_skipped() -> None:
    # Thursday 24 Dec 2026 16:00 Paris: 2 h, Friday 25 is Christmas, Monday 28 09:00 + 2 h.
    assert add_business(PARIS, utc(2026, 12, 24, 15), 4) == utc(2026, 12, 28, 10)
    without = Schedule("Europe/Paris", WEEKDAYS_9_18)
    assert add_business(without, utc(2026, 12, 24, 15), 4) == utc(2026, 12, 25, 10)


def test_region_holidays() -> None:
    # 6 January (Epiphany) is a holiday in Bavaria, not in Berlin.
    bavaria = Schedule("Europe/Berlin", WEEKDAYS_9_18, "DE", "BY")
    berlin = Schedule("Europe/Berlin", WEEKDAYS_9_18, "DE", "BE")
    start = utc(2026, 1, 5, 16)  # Monday 17:00 Berlin
    assert add_business(berlin, start, 2) == utc(2026, 1, 6, 9)
    assert add_business(bavaria, start, 2) == utc(2026, 1, 7, 9)


def test_dst_change_keeps_local_opening_hours() -> None:
    # Friday 27 March 2026 16:00 CET (15:00 UTC); clocks go forward on Sunday 29 March.
    # Monday 09:00 CEST is 07:00 UTC: 2 h Friday + 2 h Monday = 09:00 UTC.
    assert add_business(PARIS, utc(2026, 3, 27, 15), 4) == utc(2026, 3, 30, 9)
    # New York moves on 8 March: Friday 6 March 17:00 EST (22:00 UTC) + 2 h.
    nyc = Schedule("America/New_York", WEEKDAYS_9_18)
    assert add_business(nyc, utc(2026, 3, 6, 22), 2) == utc(2026, 3, 9, 14)


def test_a_day_open_around_the_clock_on_dst_day_is_23_hours() -> None:
    always = Schedule("Europe/Paris", parse_opening_hours("mon-sun 00:00-24:00"))
    start = utc(2026, 3, 28, 23)  # Sunday 29 March 00:00 CET
    assert business_between(always, start, start + timedelta(days=1)) == timedelta(hours=24)
    assert add_business(always, start, 23) == utc(2026, 3, 29, 22)  # Monday 00:00 CEST


def test_timezones_differ() -> None:
    tokyo = Schedule("Asia/Tokyo", WEEKDAYS_9_18)
    # Monday 08:00 UTC is 17:00 Tokyo: 1 h left, then Tuesday 09:00 JST (00:00 UTC).
    assert add_business(tokyo, utc(2026, 1, 12, 8), 2) == utc(2026, 1, 13, 1)


def test_between_counts_only_open_time() -> None:
    assert business_between(PARIS, utc(2026, 1, 16, 15), utc(2026, 1, 19, 10)) == timedelta(hours=4)
    assert business_between(PARIS, utc(2026, 1, 19, 10), utc(2026, 1, 16, 15)) == timedelta(0)


def test_no_schedule_is_calendar_time() -> None:
    assert add_business(Schedule(), utc(2026, 1, 17, 12), 5) == utc(2026, 1, 17, 17)


def test_never_open_is_never_due() -> None:
    closed = Schedule("UTC", parse_opening_hours("mon 09:00-10:00"))
    assert add_business(closed, utc(2026, 1, 12, 9), 24 * 366) is None


def test_check_holidays() -> None:
    check_holidays("FR", None)
    check_holidays("DE", "BY")
    with pytest.raises(ValueError, match="XX"):
        check_holidays("XX", None)
    with pytest.raises(ValueError, match="subdivision"):
        check_holidays("DE", "ZZ")
