"""Error responses of the app: `{"detail": "<message naming the field>", ...}` with a specific
status (400 for bad input rather than FastAPI's 422; see core/errors.py)."""

from __future__ import annotations

import logging
import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent.turn import TurnRefused
from core import sqlite
from core.errors import validation_message

log = logging.getLogger("api")


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": validation_message(list(exc.errors()))}, status_code=400)


async def _turn_refused(request: Request, exc: TurnRefused) -> JSONResponse:
    return JSONResponse({"detail": exc.message}, status_code=exc.status)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _database(request: Request, exc: sqlite3.OperationalError) -> JSONResponse:
    """A database locked past DATABASE_BUSY_SECONDS: 503 and when to retry, never a 500."""
    if not sqlite.is_busy(exc):
        return await _unexpected(request, exc)
    log.warning("database busy: %s %s answered 503", request.method, request.url.path)
    headers = {"Retry-After": str(sqlite.BUSY_RETRY_AFTER_SECONDS)}
    return JSONResponse({"detail": sqlite.BUSY_DETAIL}, status_code=503, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(TurnRefused, _turn_refused)  # type: ignore[arg-type]  # as above
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]  # as above
    app.add_exception_handler(sqlite3.OperationalError, _database)  # type: ignore[arg-type]  # as above
    app.add_exception_handler(Exception, _unexpected)
