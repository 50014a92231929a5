"""Error responses of the app: `{"detail": "<message naming the field>", ...}` with a specific
status (400 for bad input rather than FastAPI's 422; see core/errors.py)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent.turn import TurnRefused
from core.errors import validation_message
from core.ratelimit import RateLimited

log = logging.getLogger("api")


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": validation_message(list(exc.errors()))}, status_code=400)


async def _turn_refused(request: Request, exc: TurnRefused) -> JSONResponse:
    return JSONResponse({"detail": exc.message}, status_code=exc.status)


def rate_limited_response(exc: RateLimited) -> JSONResponse:
    """429 with the seconds to wait in `Retry-After` and in the message."""
    return JSONResponse({"detail": exc.message}, status_code=429, headers={"Retry-After": str(exc.retry_after)})


async def _rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
    return rate_limited_response(exc)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(TurnRefused, _turn_refused)  # type: ignore[arg-type]  # as above
    app.add_exception_handler(RateLimited, _rate_limited)  # type: ignore[arg-type]  # as above
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]  # as above
    app.add_exception_handler(Exception, _unexpected)
