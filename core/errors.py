"""The error format of every HTTP answer: `{"detail": "<message naming the field>"}`.

FastAPI answers bad input with 422 and a list; this project's contract (the original
service's) is 400 with one readable line, so validation errors are rewritten with this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    field = _field(tuple(error.get("loc", ())))
    if kind == "missing":
        return f"{field}: is required"
    if kind == "json_invalid":
        return "body: is not valid JSON"
    if kind == "extra_forbidden":
        return f"{field}: is not an accepted field"
    if kind in ("model_attributes_type", "dict_type") and field == "body":
        return "body: must be a JSON object"
    msg = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"{field}: {msg[:1].lower()}{msg[1:]}"


def validation_message(errors: Sequence[Any]) -> str:
    """All problems of a request in one line, each naming its field."""
    return "; ".join(dict.fromkeys(_message(e) for e in errors)) or "the request is invalid"


def body_parse_message(exc: BaseException) -> str | None:
    """The field-naming message for a body FastAPI could not parse for another reason than bad
    JSON syntax (it answers those with a bare "There was an error parsing the body"), read from
    the cause it chains; None for any other error."""
    cause = exc.__cause__
    if getattr(exc, "status_code", None) != 400 or cause is None:
        return None
    if isinstance(cause, UnicodeDecodeError):
        return "body: is not valid UTF-8"
    if isinstance(cause, RecursionError):
        return "body: is nested too deeply"
    return "body: could not be parsed"
