"""Property-based fuzzing of the app's own OpenAPI document with schemathesis, over real HTTP
against a live server: no 5xx, and every answer has a documented status code, content type
and body schema. Bounded (`MAX_EXAMPLES` per operation) to run in well under a minute.

The chat turns (`POST /api/chat`, `/api/chat/ui`) stream Server-Sent Events: for them only the
status and content type are checked, the event stream's own format is tested elsewhere
(tests/api/test_chat_sse.py, test_ai_sdk.py).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import create_app
from tests.support.servers import LiveServer, settings_defaults

MAX_EXAMPLES = 12
STREAMING = {"/api/chat", "/api/chat/ui"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def document() -> dict[str, Any]:
    """The document the live server serves (the same settings; building it starts nothing)."""
    from core.settings import ExplicitSettings

    return create_app(ExplicitSettings(**{**settings_defaults(), "database_url": "sqlite:///:memory:"})).openapi()


schema = schemathesis.openapi.from_dict(document())


def test_the_fuzzed_document_is_the_one_served(shared_live_server: LiveServer) -> None:
    with shared_live_server.client() as client:
        served = client.get("/openapi.json").json()
    assert served == document()
    assert not [p for p in served["paths"] if p.startswith("/api/playground")], "the playground is off"


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure here is reproducible
    database=None,  # and nothing kept between runs
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_documented_contract(case: schemathesis.Case, shared_live_server: LiveServer) -> None:
    response = case.call(base_url=shared_live_server.url, timeout=30)
    checks = CHECKS[:3] if case.path in STREAMING and response.status_code == 200 else CHECKS
    case.validate_response(response, checks=checks)
