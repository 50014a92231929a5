"""Where slots come from: `slots.json` (the original service's format) over a weekly template.

`schedule.json` describes opening hours per weekday and appointment type and a horizon in
days; it yields slots relative to the clock so a demo always has the coming weeks open.
A date present in `slots.json` replaces the template for that date.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.appointment_types import APPOINTMENT_TYPES
from core.formats import hhmm, is_hhmm, minutes

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleDataError(Exception):
    """The slot or schedule data is empty or malformed."""


@dataclass(frozen=True, slots=True)
class Slot:
    start_time: str  # "HH:MM", clinic-local
    end_time: str
    available: bool = True  # False: taken in the slot data itself


def _check_time(value: object, where: str) -> str:
    if not isinstance(value, str) or not is_hhmm(value):
        raise ScheduleDataError(f"{where}: expected a time 'HH:MM', got {value!r}")
    return value


def _load_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScheduleDataError(f"{path}: cannot read ({exc})") from exc
    if not text.strip():
        raise ScheduleDataError(f"{path}: file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScheduleDataError(f"{path}: not valid JSON ({exc})") from exc


def _by_type(mapping: dict[str, Any], where: str, kind: type, expected: str) -> Iterator[tuple[str, Any, str]]:
    """(type key, value, its path) of an object keyed by appointment type; `where` has a `{}`
    for the key. An unknown type or a value that is not a `kind` is a ScheduleDataError."""
    for type_key, value in mapping.items():
        here = where.format(type_key)
        if type_key not in APPOINTMENT_TYPES:
            raise ScheduleDataError(f"{here}: unknown appointment type")
        if not isinstance(value, kind):
            raise ScheduleDataError(f"{here}: expected {expected}")
        yield type_key, value, here


def parse_slots(data: object, where: str = "slots") -> dict[date, dict[str, tuple[Slot, ...]]]:
    """Validate data in the original `slots.json` format and index it by date and type."""
    if not isinstance(data, dict):
        raise ScheduleDataError(f"{where}: expected an object keyed by date")
    out: dict[date, dict[str, tuple[Slot, ...]]] = {}
    for day_text, types in data.items():
        try:
            day = date.fromisoformat(day_text)
        except (TypeError, ValueError) as exc:
            raise ScheduleDataError(f"{where}: {day_text!r} is not a date YYYY-MM-DD") from exc
        if not isinstance(types, dict):
            raise ScheduleDataError(f"{where}[{day_text}]: expected an object keyed by type")
        out[day] = {}
        for type_key, slots, here in _by_type(types, f"{where}[{day_text}][{{}}]", list, "a list of slots"):
            parsed = []
            for i, slot in enumerate(slots):
                if not isinstance(slot, dict) or not isinstance(slot.get("available", True), bool):
                    raise ScheduleDataError(f"{here}[{i}]: expected {{start_time, end_time, available}}")
                start = _check_time(slot.get("start_time"), f"{here}[{i}].start_time")
                end = _check_time(slot.get("end_time"), f"{here}[{i}].end_time")
                if minutes(end) <= minutes(start):
                    raise ScheduleDataError(f"{here}[{i}]: end_time is not after start_time")
                parsed.append(Slot(start, end, slot.get("available", True)))
            out[day][type_key] = tuple(sorted(parsed, key=lambda s: s.start_time))
    return out


@dataclass(frozen=True)
class WeeklyTemplate:
    timezone: str
    horizon_days: int
    # type -> weekday index (0 = Monday) -> [(start_min, end_min), ...]
    hours: dict[str, dict[int, tuple[tuple[int, int], ...]]]

    @classmethod
    def parse(cls, data: object, where: str = "schedule") -> WeeklyTemplate:
        if not isinstance(data, dict):
            raise ScheduleDataError(f"{where}: expected an object")
        timezone = data.get("timezone")
        horizon = data.get("horizon_days")
        if not isinstance(timezone, str) or not timezone:
            raise ScheduleDataError(f"{where}.timezone: expected an IANA time zone name")
        if not isinstance(horizon, int) or horizon < 1:
            raise ScheduleDataError(f"{where}.horizon_days: expected a positive integer")
        types = data.get("hours")
        if not isinstance(types, dict):
            raise ScheduleDataError(f"{where}.hours: expected an object keyed by appointment type")
        hours: dict[str, dict[int, tuple[tuple[int, int], ...]]] = {}
        for type_key, week, _ in _by_type(types, f"{where}.hours.{{}}", dict, "an object keyed by weekday"):
            hours[type_key] = {}
            for day_name, windows in week.items():
                here = f"{where}.hours.{type_key}.{day_name}"
                if day_name not in WEEKDAYS:
                    raise ScheduleDataError(f"{here}: weekday must be one of {', '.join(WEEKDAYS)}")
                if not isinstance(windows, list):
                    raise ScheduleDataError(f"{here}: expected a list of 'HH:MM-HH:MM' windows")
                parsed = []
                for window in windows:
                    start, _, end = str(window).partition("-")
                    start_m = minutes(_check_time(start, here))
                    end_m = minutes(_check_time(end, here))
                    if end_m <= start_m:
                        raise ScheduleDataError(f"{here}: window {window!r} ends before it starts")
                    parsed.append((start_m, end_m))
                hours[type_key][WEEKDAYS.index(day_name)] = tuple(sorted(parsed))
        return cls(timezone, horizon, hours)


class SlotSource:
    """Answers "which slots exist on this date for this type", given the clock's today."""

    def __init__(self, template: WeeklyTemplate, overrides: dict[date, dict[str, tuple[Slot, ...]]]) -> None:
        self.template = template
        self.overrides = overrides
        self._template_day = lru_cache(maxsize=4096)(self._template_slots)

    @classmethod
    def load(cls, slots_file: Path, schedule_file: Path) -> SlotSource:
        """Read both files; raises ScheduleDataError naming the file and the fault."""
        template = WeeklyTemplate.parse(_load_json(schedule_file), str(schedule_file))
        overrides = parse_slots(_load_json(slots_file), str(slots_file))
        return cls(template, overrides)

    def _template_slots(self, day: date, type_key: str) -> tuple[Slot, ...] | None:
        windows = self.template.hours.get(type_key, {}).get(day.weekday())
        if not windows:
            return None
        step = APPOINTMENT_TYPES[type_key].minutes
        slots = []
        for start, end in windows:
            t = start
            while t + step <= end:
                slots.append(Slot(hhmm(t), hhmm(t + step)))
                t += step
        return tuple(slots)

    def last_day(self, today: date) -> date:
        """The end of the horizon: the template's last day, or a later date in slots.json."""
        last = today + timedelta(days=self.template.horizon_days)
        return max([last, *self.overrides]) if self.overrides else last

    def slots_for(self, day: date, type_key: str, today: date) -> tuple[Slot, ...] | None:
        """All slots of that day and type (taken ones included), or None: no schedule."""
        if day < today:
            return None
        if day in self.overrides:
            return self.overrides[day].get(type_key)
        if day > today + timedelta(days=self.template.horizon_days):
            return None
        return self._template_day(day, type_key)

    def days_after(self, day: date, today: date) -> list[date]:
        """Dates after `day` up to the horizon that may have slots, in order."""
        end = self.last_day(today)
        if day >= end:  # nothing after it (and date.max + 1 day would overflow: a 500)
            return []
        start = max(day + timedelta(days=1), today)
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def is_past(day: date, start_time: str, now: datetime) -> bool:
    """A slot whose start lies before `now` (clinic-local) is past."""
    return (day, start_time) < (now.date(), now.strftime("%H:%M"))
