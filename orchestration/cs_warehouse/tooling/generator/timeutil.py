"""Calendar helpers. The company lives in Asia/Tokyo (fixed +09:00, no daylight saving)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
DAY = timedelta(days=1)


def yesterday_in_tokyo(now: datetime | None = None) -> date:
    now = now or datetime.now(UTC)
    return now.astimezone(JST).date() - DAY


def add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


def window_start(end: date, months: int) -> date:
    """First day of the `months`-month window that ends on `end` (inclusive)."""
    return add_months(end + DAY, -months)


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def at_jst(d: date, seconds_into_day: float) -> datetime:
    """Aware datetime `seconds_into_day` after midnight JST of `d` (whole seconds, as CRMs export)."""
    return datetime(d.year, d.month, d.day, tzinfo=JST) + timedelta(seconds=int(seconds_into_day))


def format_crm_timestamp(ts: datetime) -> str:
    """Salesforce-style export: local wall time with the +09:00 offset."""
    return ts.astimezone(JST).isoformat(timespec="seconds")


def format_utc_timestamp(ts: datetime) -> str:
    """Zendesk / survey-tool style: UTC with a trailing Z."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_naive_timestamp(ts: datetime) -> str:
    """A timestamp without zone, as a broken export would write it (messy mode only)."""
    return ts.astimezone(JST).replace(tzinfo=None).isoformat(timespec="seconds")
