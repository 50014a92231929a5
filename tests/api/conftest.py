"""Fixtures of the API tests: `stub_server`, a live server whose model is a scripted stub,
optionally held mid-reply by the test."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from agent.models.stub import StubChatModel, StubScript
from api.main import create_app
from tests.support.stub_turns import GatedStub


@pytest.fixture
def stub_server(live_server):
    """A live server whose model is a stub fed by `server.script` (optionally gated)."""

    def start(gated: bool = False, **settings: Any):
        script = StubScript()
        gate, first_sent = threading.Event(), threading.Event()
        outcome: list[str] = []  # what the gated turn did: finished or cancelled

        def hook(model: StubChatModel) -> StubChatModel:
            if not gated:
                return model
            return GatedStub(script=model.script, gate=gate, first_sent=first_sent, outcome=outcome)

        server = live_server(
            llm_provider="stub",
            app_factory=lambda s: create_app(s, stub_script=script, model_hook=hook),
            **settings,
        )
        server.script, server.gate, server.first_sent, server.outcome = script, gate, first_sent, outcome
        return server

    return start
