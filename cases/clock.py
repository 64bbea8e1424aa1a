"""One notion of time: naive UTC datetimes in storage, China time for what people read."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Now, as the naive UTC datetime stored in every table (SQLite keeps no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def local(moment: datetime) -> datetime:
    """A stored naive-UTC moment in China time, for wording and case numbers."""
    return moment.replace(tzinfo=UTC).astimezone(CHINA)


def local_text(moment: datetime | None) -> str:
    """'11月21日 14:30' as a resident would write it; empty for no moment."""
    if moment is None:
        return ""
    when = local(moment)
    return f"{when.month}月{when.day}日 {when:%H:%M}"
