"""The OpenAPI document, made to say what the app really answers (issue 16, item 7).

FastAPI documents a 422 with its own error list for every operation with inputs; this app answers
bad input with 400 and `{"detail": "<message naming the field>"}` (api/errors.py), refuses bodies
over `MAX_BODY_BYTES` with 413 before any route runs (api/hardening.py), and answers 503 while
the database stays locked (core/sqlite.py). `document_errors` rewrites the generated document
once, so every operation lists those answers with the one error schema; answers only some
routes give (404, 409, 410, 403) are declared on the routes themselves.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    """Every refusal: one readable line naming the field or the fault (some add fields for
    programs, e.g. `alternatives` on a taken slot)."""

    detail: str = Field(description="What is wrong, naming the field.")


ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_BAD_INPUT = "A field is missing or malformed, or the body is not a JSON object; `detail` names the field."
_TOO_LARGE = "The body is over `MAX_BODY_BYTES`; refused before it is read whole."


def _has_inputs(operation: dict[str, Any]) -> bool:
    return "requestBody" in operation or bool(operation.get("parameters"))


def _rewrite(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "HTTPValidationError" in str(responses.get("422", {})):  # FastAPI's own: answered 400 here
        responses.pop("422")
    if _has_inputs(operation):
        responses.setdefault("400", {"description": _BAD_INPUT})
    if "requestBody" in operation:
        responses.setdefault("413", {"description": _TOO_LARGE})
    for status, response in responses.items():
        if status[0] in "45":
            response["content"] = {"application/json": {"schema": ERROR_REF}}


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the app's real error answers (in place, and returned)."""
    for path in document.get("paths", {}).values():
        for method in _METHODS:
            if method in path:
                _rewrite(path[method])
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorOut"] = ErrorOut.model_json_schema()
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the rewritten document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes, tags=app.openapi_tags
            )
            app.openapi_schema = document_errors(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise it
