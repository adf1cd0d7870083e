"""Hotline hours: the weekly schedule, holidays and timezone decide whether operators are at
work, and when they are back."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.operators.hours import Hours
from bot.settings import HotlineSettings, Settings

MOSCOW = ZoneInfo("Europe/Moscow")


def at(text: str, zone: ZoneInfo = MOSCOW) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        ("2026-11-23 08:29", False),  # Monday, one minute before opening
        ("2026-11-23 08:30", True),
        ("2026-11-23 18:29", True),
        ("2026-11-23 18:30", False),  # closing time is outside
        ("2026-11-28 12:00", False),  # Saturday
        ("2026-11-29 12:00", False),  # Sunday
    ],
)
def test_default_schedule_is_workdays_0830_to_1830_in_moscow(moment: str, is_open: bool) -> None:
    assert Hours(HotlineSettings()).is_open(at(moment)) is is_open


def test_the_timezone_is_the_hotlines_not_the_users() -> None:
    hours = Hours(HotlineSettings())
    # 06:00 UTC is 09:00 in Moscow (open); 16:00 UTC is 19:00 in Moscow (closed).
    assert hours.is_open(at("2026-11-23 06:00", ZoneInfo("UTC")))
    assert not hours.is_open(at("2026-11-23 16:00", ZoneInfo("UTC")))
    tashkent = ZoneInfo("Asia/Tashkent")  # UTC+5: 10:00 there is 08:00 in Moscow
    assert not hours.is_open(at("2026-11-23 10:00", tashkent))


def test_holidays_close_a_working_day() -> None:
    hours = Hours(HotlineSettings(holidays=("2026-11-04",)))  # a Wednesday
    assert not hours.is_open(at("2026-11-04 12:00"))
    assert hours.next_opening(at("2026-11-03 19:00")) == at("2026-11-05 08:30")


@pytest.mark.parametrize(
    ("moment", "back"),
    [
        ("2026-11-23 07:00", "2026-11-23 08:30"),  # same morning
        ("2026-11-23 12:00", "2026-11-24 08:30"),  # open now: the next opening is tomorrow
        ("2026-11-27 18:45", "2026-11-30 08:30"),  # Friday evening: Monday
        ("2026-11-28 10:00", "2026-11-30 08:30"),  # Saturday
    ],
)
def test_next_opening(moment: str, back: str) -> None:
    assert Hours(HotlineSettings()).next_opening(at(moment)) == at(back)


def test_new_year_holidays_push_the_opening_past_them() -> None:
    days = tuple(f"2027-01-0{d}" for d in range(1, 9))
    hours = Hours(HotlineSettings(holidays=days))
    assert hours.next_opening(at("2026-12-31 19:00")) == at("2027-01-11 08:30")  # Monday


def test_a_schedule_without_working_days_never_opens() -> None:
    hours = Hours(HotlineSettings(days=()))
    assert not hours.is_open(at("2026-11-23 12:00"))
    assert hours.next_opening(at("2026-11-23 12:00")) is None


def test_round_the_clock() -> None:
    hours = Hours(HotlineSettings(days=tuple(range(7)), opens="00:00", closes="24:00"))
    assert hours.is_open(at("2026-11-29 23:59")) and hours.is_open(at("2026-11-29 00:00"))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ru", "понедельник, 30 ноября, 08:30 (Москва)"),
        ("uz", "dushanba, 30-noyabr, 08:30 (Moskva)"),
        ("tg", "Душанбе, 30 Ноябр, 08:30 (Москва)"),
    ],
)
def test_when_operators_are_back_reads_in_the_users_language(lang: str, expected: str) -> None:
    hours = Hours(HotlineSettings())
    assert hours.format_back(at("2026-11-30 08:30"), lang) == expected


def test_settings_read_holidays_and_schedule_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "HOTLINE_TIMEZONE": "Asia/Tashkent",
            "HOTLINE_DAYS": "0,1,2,3,4,5",
            "HOTLINE_OPENS": "09:00",
            "HOTLINE_CLOSES": "17:00",
            "HOTLINE_HOLIDAYS": "2026-12-31, 2027-01-01",
        }
    )
    hours = Hours(settings.hotline)
    assert settings.hotline.holidays == ("2026-12-31", "2027-01-01")
    tashkent = ZoneInfo("Asia/Tashkent")
    assert hours.is_open(at("2026-11-28 09:00", tashkent))  # Saturday is a working day here
    assert not hours.is_open(at("2026-12-31 12:00", tashkent))
