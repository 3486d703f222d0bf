"""When the service runs: a crontab expression in a time zone, turned into an APScheduler 3
trigger, plus the next and previous fire times that catch-up and `status` need.

Crontab numbers days of the week from Sunday (0 or 7 = Sunday, 1 = Monday); APScheduler 3
numbers them from Monday (0 = Monday) and `CronTrigger.from_crontab` passes numbers through
unchanged, so "0-4" would silently mean Monday to Friday. The day-of-week field is therefore
rewritten with day names, which mean the same in both.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

DEFAULT_CRON = "30 0 * * 1-5"
"""00:30 Monday to Friday, US Eastern: after arXiv's announcement feeds are rebuilt at midnight
with the papers announced at 20:00 the evening before (Sunday to Thursday)."""

_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_ITEM = re.compile(r"^(\*|[a-z]{3}|\d)(?:-([a-z]{3}|\d))?(?:/(\d+))?$")


def _day(token: str) -> int:
    if token.isdigit():
        number = int(token)
        if number > 7:
            raise ValueError(f"day of week {number} is not 0-7")
        return number % 7
    if token not in _NAMES:
        raise ValueError(f"unknown day of week {token!r}")
    return _NAMES.index(token)


def crontab_days(field: str) -> str:
    """A crontab day-of-week field as APScheduler day names, e.g. "0-4" -> "sun,mon,tue,wed,thu"."""
    days: set[int] = set()
    for item in field.lower().split(","):
        match = _ITEM.match(item.strip())
        if not match:
            raise ValueError(f"cannot read day of week {item!r}")
        first, last, step = match.groups()
        if first == "*":
            start, end = 0, 6
        else:
            start = _day(first)
            end = _day(last) if last else (6 if step else start)
            if last == "7":
                end = 7  # "5-7" is Friday to Sunday
        days.update(d % 7 for d in range(start, end + 1, int(step or 1)))
    return ",".join(_NAMES[d] for d in sorted(days))


def make_trigger(cron: str, timezone: str) -> CronTrigger:
    """A trigger from `minute hour day month day-of-week`, optionally with a leading seconds
    field (six fields, as Quartz writes them; handy for tests and demos)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = cron.split()
    if len(fields) not in (5, 6):
        raise ValueError(
            "expected 5 fields (minute hour day month day-of-week) or 6 (seconds first)"
        )
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, day_of_week = fields
    if day != "*" and day_of_week != "*":
        # cron runs when either matches; APScheduler only when both do. Refuse rather than
        # run on other days than the crontab line says.
        raise ValueError(
            "restrict the day of the month or the day of the week, not both (cron would run "
            "when either matches)"
        )
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week="*" if day_of_week == "*" else crontab_days(day_of_week),
        timezone=ZoneInfo(timezone),
    )


def next_run(trigger: CronTrigger, after: datetime) -> datetime | None:
    """The first fire time strictly after `after`."""
    # Step in UTC: local-time arithmetic drops the fold of the repeated hour when clocks go
    # back, so "01:30 EST + 1 us" would become 01:30 EDT again and never move forward.
    moment = trigger.get_next_fire_time(None, after.astimezone(UTC) + timedelta(microseconds=1))
    # (Compared in UTC: two times in the same zone compare by wall clock, fold ignored.)
    if moment is not None and moment.astimezone(UTC) <= after.astimezone(UTC):
        raise RuntimeError(f"schedule: no progress after {after.isoformat()}")
    return moment


def previous_run(trigger: CronTrigger, before: datetime) -> datetime | None:
    """The last fire time at or before `before` (searching back up to a year)."""
    for days in (8, 32, 367):
        moment = next_run(trigger, before - timedelta(days=days))
        found = None
        while moment is not None and moment <= before:
            found = moment
            moment = next_run(trigger, moment)
        if found is not None:
            return found
    return None


def fire_times(trigger: CronTrigger, start: datetime, end: datetime) -> list[datetime]:
    """Every fire time in (start, end]."""
    times = []
    moment = next_run(trigger, start)
    while moment is not None and moment <= end:
        times.append(moment)
        moment = next_run(trigger, moment)
    return times
