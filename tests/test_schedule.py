"""The schedule: crontab semantics (Sunday = 0) on top of APScheduler 3 (Monday = 0)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from snn_feed.config import Settings
from snn_feed.service.schedule import (
    crontab_days,
    fire_times,
    make_trigger,
    next_run,
    previous_run,
)

pytestmark = pytest.mark.clock  # reads the wall clock: CI runs it at hard instants too

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
    # Each run comes half an hour after the feeds are rebuilt with the evening's announcements:
    # Sunday's to Thursday's, read Monday to Friday; none on the weekend.
    friday = datetime(2026, 11, 27, 1, 0, tzinfo=NY)
    assert next_run(trigger, friday) == datetime(2026, 11, 30, 0, 30, tzinfo=NY)
    week = fire_times(trigger, datetime(2026, 11, 22, 0, 0, tzinfo=NY), friday)
    assert [t.strftime("%a %H:%M") for t in week] == [
        "Mon 00:30", "Tue 00:30", "Wed 00:30", "Thu 00:30", "Fri 00:30",
    ]  # fmt: skip
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=NY)
    assert previous_run(trigger, saturday) == datetime(2026, 11, 27, 0, 30, tzinfo=NY)
    # the longest gap, Friday to Monday, is within status's default age limit
    gap = next_run(trigger, saturday) - previous_run(trigger, saturday)
    assert gap.total_seconds() / 3600 < Settings().status.max_age_hours


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


@pytest.mark.parametrize(
    ("cron", "zone", "start", "end", "expected"),
    [
        # 01:30 happens twice when New York falls back (1 Nov 2026): both are fire times,
        # and the day after is reached.
        ("30 1 * * *", "America/New_York", datetime(2026, 10, 31, 12), datetime(2026, 11, 2, 12),
         ["2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "2026-11-02T01:30:00-05:00"]),
        # Berlin falls back on 25 Oct 2026; 02:30 is in the repeated hour there.
        ("30 2 * * *", "Europe/Berlin", datetime(2026, 10, 24), datetime(2026, 10, 26, 12),
         ["2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00",
          "2026-10-25T02:30:00+01:00", "2026-10-26T02:30:00+01:00"]),
    ],
)  # fmt: skip
def test_fire_times_move_on_through_the_repeated_hour_of_autumn(
    cron: str, zone: str, start: datetime, end: datetime, expected: list[str]
) -> None:
    utc = ZoneInfo("UTC")
    trigger = make_trigger(cron, zone)
    times = fire_times(trigger, start.replace(tzinfo=utc), end.replace(tzinfo=utc))
    assert [t.isoformat() for t in times] == expected
    last = previous_run(trigger, end.replace(tzinfo=utc))
    assert last is not None and last.isoformat() == expected[-1]


def test_a_schedule_restricting_both_day_fields_is_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        make_trigger("0 9 1 * 1", "UTC")
    make_trigger("0 9 1 * *", "UTC")  # either one alone is fine
    make_trigger("0 9 * * 1", "UTC")
