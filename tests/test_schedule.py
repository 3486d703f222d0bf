"""The schedule: crontab semantics (Sunday = 0) on top of APScheduler 3 (Monday = 0)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from snn_feed.config import Settings
from snn_feed.schedule import (
    crontab_days,
    fire_times,
    make_trigger,
    next_run,
    previous_run,
)

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("field", "days"),
    [
        ("0-4", "sun,mon,tue,wed,thu"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("5-7", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1,3,5", "mon,wed,fri"),
        ("MON-FRI", "mon,tue,wed,thu,fri"),
    ],
)
def test_crontab_days_keep_their_crontab_meaning(field: str, days: str) -> None:
    assert crontab_days(field) == days


@pytest.mark.parametrize("field", ["8", "mon-xyz", "1--2", ""])
def test_bad_day_of_week_is_refused(field: str) -> None:
    with pytest.raises(ValueError):
        crontab_days(field)


def test_default_schedule_follows_arxiv_announcements() -> None:
    schedule = Settings().schedule
    trigger = make_trigger(schedule.cron, schedule.timezone)
    # Thursday evening after the run: next is Sunday 20:30 New York time (no Fri/Sat runs)
    thursday = datetime(2026, 11, 26, 21, 0, tzinfo=NY)
    assert next_run(trigger, thursday) == datetime(2026, 11, 29, 20, 30, tzinfo=NY)
    week = fire_times(trigger, datetime(2026, 11, 22, 0, 0, tzinfo=NY), thursday)
    assert [t.strftime("%a %H:%M") for t in week] == [
        "Sun 20:30", "Mon 20:30", "Tue 20:30", "Wed 20:30", "Thu 20:30",
    ]  # fmt: skip
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=NY)
    assert previous_run(trigger, saturday) == datetime(2026, 11, 26, 20, 30, tzinfo=NY)


def test_schedule_keeps_local_time_across_daylight_saving() -> None:
    trigger = make_trigger("30 20 * * 0-4", "America/New_York")
    before = next_run(trigger, datetime(2026, 10, 28, 12, 0, tzinfo=NY))  # EDT (a Wednesday)
    after = next_run(trigger, datetime(2026, 11, 2, 12, 0, tzinfo=NY))  # EST
    assert before is not None and after is not None
    assert (before.hour, before.minute, after.hour, after.minute) == (20, 30, 20, 30)
    assert before.utcoffset() != after.utcoffset()


def test_a_leading_seconds_field_is_accepted() -> None:
    trigger = make_trigger("*/5 * * * * *", "UTC")
    start = datetime(2026, 11, 28, 12, 0, 1, tzinfo=ZoneInfo("UTC"))
    assert next_run(trigger, start) == datetime(2026, 11, 28, 12, 0, 5, tzinfo=ZoneInfo("UTC"))
