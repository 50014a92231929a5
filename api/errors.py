"""Error responses of the app: `{"detail": "<message naming the field>", ...}` with a specific
status (400 for bad input rather than FastAPI's 422; see core/errors.py)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from agent.turn import TurnRefused
from core import busy
from core.errors import body_parse_message, validation_message
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


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (Starlette's 405 names only the
    first matching route's, so `OPTIONS /api/chat/{id}` said GET though DELETE is served too)."""
    routes = request.app.router.routes
    found = {"OPTIONS"}
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in routes):
            found.add(method)
    return sorted(found)


async def _http(request: Request, exc: StarletteHTTPException) -> Response:
    headers = dict(getattr(exc, "headers", None) or {})
    if (detail := body_parse_message(exc)) is not None:
        return JSONResponse({"detail": detail}, status_code=400)
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
        if request.method == "OPTIONS":  # what may be done here, not a refusal
            return Response(status_code=204, headers=headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers or None)


async def _database(request: Request, exc: Exception) -> JSONResponse:
    """A database locked past DATABASE_BUSY_SECONDS (SQLite or PostgreSQL): 503 and when to
    retry, never a 500."""
    if not busy.is_busy(exc):
        return await _unexpected(request, exc)
    log.warning("database busy: %s %s answered 503", request.method, request.url.path)
    headers = {"Retry-After": str(busy.BUSY_RETRY_AFTER_SECONDS)}
    return JSONResponse({"detail": busy.BUSY_DETAIL}, status_code=503, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(TurnRefused, _turn_refused)  # type: ignore[arg-type]  # as above
    app.add_exception_handler(RateLimited, _rate_limited)  # type: ignore[arg-type]  # as above
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]  # as above
    for error in busy.BUSY_ERRORS:
        app.add_exception_handler(error, _database)
    app.add_exception_handler(Exception, _unexpected)
