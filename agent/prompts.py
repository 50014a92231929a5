"""The system prompt: a file staff can read and edit (`system_prompt.md`), rendered per model call.

Placeholders are `{{name}}`; only known ones are replaced, so braces elsewhere in an edited
prompt (JSON examples, say) are left alone.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from core.appointment_types import APPOINTMENT_TYPES
from core.clock import Clock
from core.formats import TimeFormat, clock_label

PROMPT_FILE = Path(__file__).with_name("system_prompt.md")


@lru_cache
def default_template() -> str:
    """The shipped prompt template."""
    return PROMPT_FILE.read_text(encoding="utf-8")


def render_prompt(template: str, *, clock: Clock, clinic_name: str, time_format: TimeFormat = "12h") -> str:
    """Fill the template with the clinic, today's date and weekday, the appointment types, and how
    the clinic writes times (TIME_FORMAT)."""
    now = clock.now()
    sample = ("09:00", "10:30", "14:00")
    values = {
        "time_style": "12-hour times with AM/PM (9:00 AM, 2:30 PM)"
        if time_format == "12h"
        else "24-hour times (09:00, 14:30)",
        "time_example": ", ".join(clock_label(t, time_format) for t in sample[:2])
        + f" or {clock_label(sample[2], time_format)}",
        "clinic_name": clinic_name,
        "timezone": str(clock.tz),
        "today": now.date().isoformat(),
        "weekday": now.strftime("%A"),
        "time": now.strftime("%H:%M"),
        "appointment_types": "\n".join(
            f"- {t.key} ({t.minutes} min): {t.description}" for t in APPOINTMENT_TYPES.values()
        ),
    }
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template
