"""The character rule of every patient field: text a person typed, never terminal or layout tricks.

Refused everywhere: control characters (C0 U+0000-U+001F, DEL U+007F, C1 U+0080-U+009F; NUL and
bell among them), bidirectional embedding, override and isolate controls (U+202A-U+202E,
U+2066-U+2069: a right-to-left override makes "gpj.exe" read as "exe.jpg") and lone surrogates
(text no encoder can write). Multi-line fields (a chat message, a booking's reason) allow the
ordinary whitespace controls tab, line feed and carriage return.

Allowed on purpose: the invisible direction *marks* U+200E (LRM), U+200F (RLM) and U+061C (ALM).
They reorder nothing beyond the neutral characters next to them, and mixed Arabic/Hebrew and
Latin text needs them to display correctly.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_WHITESPACE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile("[\ud800-\udfff]")

_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x09: "TAB", 0x0A: "LF", 0x0D: "CR", 0x1B: "ESC", 0x7F: "DEL"}


def _code(char: str) -> str:
    name = _NAMES.get(ord(char))
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def character_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` is refused (the character class and the first offender), or None if it is fine."""
    controls = _CONTROLS_BUT_WHITESPACE if multiline else _CONTROLS
    if found := controls.search(text):
        return f"must not contain control characters (found {_code(found.group())})"
    if found := _BIDI_CONTROLS.search(text):
        return f"must not contain bidirectional control characters (found {_code(found.group())})"
    if found := _SURROGATES.search(text):
        return f"must not contain unpaired surrogates (found {_code(found.group())})"
    return None


def check_characters(text: str, *, multiline: bool = False) -> str:
    """`text` unchanged, or ValueError with the reason (for pydantic validators)."""
    if problem := character_problem(text, multiline=multiline):
        raise ValueError(problem)
    return text
