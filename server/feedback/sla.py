"""Due times: working hours (Mon-Fri, morning and afternoon shifts, minus public holidays) or calendar hours.

The holidays are data (data/holidays.json), so a new year's calendar is a data change, not a release.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# Office hours of Vietnamese state agencies.
SHIFTS: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))


@lru_cache(maxsize=1)
def holidays() -> frozenset[date]:
    raw = json.loads(resources.files("server.feedback").joinpath("data/holidays.json").read_text("utf-8"))
    return frozenset(date.fromisoformat(day["date"]) for day in raw["days"])


def is_working_day(day: date, off: frozenset[date] | None = None) -> bool:
    return day.weekday() < 5 and day not in (holidays() if off is None else off)


def due_at(start: datetime, hours: float, *, urgent: bool, off: frozenset[date] | None = None) -> datetime:
    """When `hours` of SLA time have passed since `start` (aware). Urgent: plain calendar hours."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if urgent:
        return (start + timedelta(hours=hours)).astimezone(UTC)
    off = holidays() if off is None else off
    remaining = timedelta(hours=hours)
    cursor = start.astimezone(LOCAL)
    day = cursor.date()
    for _ in range(3660):  # ten years of days: more than any SLA needs
        if is_working_day(day, off):
            for begin, end in SHIFTS:
                shift_start = datetime.combine(day, begin, LOCAL)
                shift_end = datetime.combine(day, end, LOCAL)
                start_here = max(shift_start, cursor)
                if start_here >= shift_end:
                    continue
                available = shift_end - start_here
                if remaining <= available:
                    return (start_here + remaining).astimezone(UTC)
                remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0, 0), LOCAL)
    raise ValueError("SLA too long")
