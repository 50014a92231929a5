"""Error responses: `{"detail": "<message naming the field>", ...}` with a specific status.

FastAPI answers bad input with 422 and a list; this project's contract (the original
service's) is 400 with one readable message, so validation errors are rewritten here.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent.runtime import TurnRefused
from api.calendly.service import ServiceError

log = logging.getLogger("api")


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


def validation_message(errors: list[dict[str, Any]]) -> str:
    """All problems of a request in one line, each naming its field."""
    return "; ".join(dict.fromkeys(_message(e) for e in errors)) or "the request is invalid"


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": validation_message(list(exc.errors()))}, status_code=400)


async def _service(request: Request, exc: ServiceError) -> JSONResponse:
    if exc.status >= 500:
        log.error("request failed: %s", exc.detail)
    return JSONResponse({"detail": exc.detail, **exc.extra}, status_code=exc.status)


async def _turn_refused(request: Request, exc: TurnRefused) -> JSONResponse:
    return JSONResponse({"detail": exc.message}, status_code=exc.status)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(ServiceError, _service)  # type: ignore[arg-type]
    app.add_exception_handler(TurnRefused, _turn_refused)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
