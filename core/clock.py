"""The injectable clock: every date-relative behaviour asks this, never `datetime.now()`."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


class Clock:
    """Clinic-local time; frozen at `frozen` (naive, clinic wall time) when given."""

    def __init__(self, timezone: str, frozen: datetime | None = None) -> None:
        self.tz = ZoneInfo(timezone)
        self._frozen = frozen.replace(tzinfo=self.tz) if frozen is not None else None

    def now(self) -> datetime:
        """Aware datetime in the clinic's time zone."""
        return self._frozen if self._frozen is not None else datetime.now(self.tz)

    def today(self) -> date:
        return self.now().date()

    @property
    def frozen(self) -> bool:
        return self._frozen is not None
