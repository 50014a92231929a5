"""The injectable clock: every date-relative behaviour asks this, never `datetime.now()`."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo


class Clock:
    """Clinic-local time; frozen at `frozen` (naive, clinic wall time) when given."""

    def __init__(self, timezone: str, frozen: datetime | None = None) -> None:
        self.tz = ZoneInfo(timezone)
        self._frozen = frozen.replace(tzinfo=self.tz) if frozen is not None else None
        self._shift = timedelta()

    def now(self) -> datetime:
        """Aware datetime in the clinic's time zone."""
        return (self._frozen if self._frozen is not None else datetime.now(self.tz)) + self._shift

    def advance(self, delta: timedelta) -> None:
        """Move the clock on by `delta` (tests and scripts: a rate-limit window or a slot hold runs
        out without sleeping)."""
        self._shift += delta

    def today(self) -> date:
        return self.now().date()

    @property
    def frozen(self) -> bool:
        return self._frozen is not None


def clinic_timezone(configured: str | None, schedule_file: Path) -> str:
    """CLINIC_TIMEZONE if set, else the schedule file's `timezone`, else UTC."""
    if configured:
        return configured
    try:
        tz = json.loads(schedule_file.read_text(encoding="utf-8")).get("timezone")
    except (OSError, ValueError, AttributeError):
        tz = None
    return tz if isinstance(tz, str) and tz else "UTC"
