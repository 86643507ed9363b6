"""DateTime: stored in UTC, shown in Vietnam's time (UTC+7), parsed from ISO 8601."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import strawberry

# Asia/Ho_Chi_Minh has kept UTC+7 without daylight saving since 1975; a fixed offset needs no tz database.
VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


def serialize_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(VIETNAM).isoformat(timespec="seconds")


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    # A time without offset is taken as Vietnam's local time: that is what residents and cadres type.
    return parsed.replace(tzinfo=VIETNAM) if parsed.tzinfo is None else parsed


DateTime = strawberry.scalar(
    datetime,
    name="DateTime",
    description="A moment in time, ISO 8601 with offset, shown in Vietnam's time (UTC+07:00).",
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)
