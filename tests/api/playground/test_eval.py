"""The playground replays the current conversation's script k times with the staff's prompt and
model and answers pass^k (POST /api/playground/sessions/{id}/eval)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from agent.models.stub import StubScript
from api.main import create_app
from conversations.evaluate import evaluate_text
from tests.api.playground.conftest import STAFF, PromptLog, running_app, settings_for, turn
from tests.support.openai_server import OpenAICompatibleServer, Reply, answered

EVALUATOR = functools.partial(evaluate_text, app_factory=create_app)
BOOKING = ["Hi, I'd like a consultation tomorrow morning", "10:00 please", "Jane Roe, jane@example.com, 555 010 0100"]


async def converse(client: Any, *messages: str, **options: Any) -> str:
    """A playground conversation; its session id."""
    session_id = None
    for message in messages:
        body = {"message": message, **options, **({"session_id": session_id} if session_id else {})}
        events = await turn(client, **body)
        session_id = events[0]["session_id"]
    assert session_id is not None
    return session_id


def recording_evaluator(prompt_log: PromptLog) -> Any:
    """The evaluator, its trial apps' model recording every system prompt it is given."""

    def app_factory(settings: Any, *, stub_script: StubScript, model_hook: Any) -> Any:
        record = prompt_log.hook()
        return create_app(settings, stub_script=stub_script, model_hook=lambda model: model_hook(record(model)))

    return functools.partial(evaluate_text, app_factory=app_factory)


async def test_the_offline_model_replays_the_booking_green_every_time(tmp_path: Path) -> None:
    async with running_app(settings_for(tmp_path), evaluator=EVALUATOR) as (_, client):
        session_id = await converse(client, *BOOKING)
        await turn(client, session_id=session_id, confirm=True)
        response = await client.post(f"/api/playground/sessions/{session_id}/eval", headers=STAFF, json={"trials": 3})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["provider"] == "offline" and report["trials"] == 3 and report["successes"] == 3
    assert report["pass_k"] == {"1": 1.0, "2": 1.0, "3": 1.0}, "a deterministic model: pass^k = pass^1"
    assert report["failures"] == []
    calls = report["model_calls"]["per_trial"]
    assert len(set(calls)) == 1 and calls[0] >= 4
    script = report["script"]
    assert "llm: stub" in script and re.search(r"- user: '?yes'?\n", script), "the confirmation is a turn too"


async def test_the_replay_uses_the_prompt_in_the_editor(tmp_path: Path, prompt_log: PromptLog) -> None:
    edited = "You are a replay TEST assistant of {{clinic_name}}. Marker 6061."
    async with running_app(settings_for(tmp_path), evaluator=recording_evaluator(prompt_log)) as (_, client):
        session_id = await converse(client, "Hi, I'd like a consultation tomorrow morning")
        prompt_log.prompts.clear()
        shipped = await client.post(f"/api/playground/sessions/{session_id}/eval", headers=STAFF, json={"trials": 2})
        assert shipped.status_code == 200 and prompt_log.prompts
        assert all(p.startswith("You are the scheduling assistant") for p in prompt_log.prompts)
        prompt_log.prompts.clear()
        changed = await client.post(
            f"/api/playground/sessions/{session_id}/eval", headers=STAFF, json={"trials": 2, "prompt": edited}
        )
    assert changed.status_code == 200, changed.text
    assert prompt_log.prompts and all("Marker 6061" in p for p in prompt_log.prompts)
    assert "Marker 6061" in changed.json()["script"]


async def test_an_openai_replay_runs_at_the_chosen_model_and_temperature(tmp_path: Path) -> None:
    def respond(body: dict[str, Any]) -> Reply:
        if answered(body):
            return Reply(text="Tuesday, November 24 has 9:00 and 9:30 free in the morning.")
        args = {"date": "2026-11-24", "appointment_type": "consultation", "time_of_day": "morning"}
        return Reply(tool_calls=[("call_1", "check_availability", args)])

    with OpenAICompatibleServer(respond) as server:
        settings = settings_for(tmp_path, openai_base_url=server.url, openai_model="local-default")
        async with running_app(settings, evaluator=EVALUATOR) as (_, client):
            options = {"provider": "openai", "model": "local-staff-choice", "temperature": 0.9}
            session_id = await converse(client, "Hi, a consultation tomorrow morning", **options)
            before = len(server.requests)
            response = await client.post(
                f"/api/playground/sessions/{session_id}/eval", headers=STAFF, json={"trials": 3, **options}
            )
        replays = server.requests[before:]
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["provider"] == "openai" and report["pass_k"] == {"1": 1.0, "2": 1.0, "3": 1.0}
    assert report["model_calls"]["per_trial"] == [2, 2, 2]
    assert len(replays) == 6
    assert {r["body"]["model"] for r in replays} == {"local-staff-choice"}
    assert {r["body"]["temperature"] for r in replays} == {0.9}


async def test_refusals(tmp_path: Path) -> None:
    async with running_app(settings_for(tmp_path), evaluator=EVALUATOR) as (_, client):
        session_id = await converse(client, "hello")
        path = f"/api/playground/sessions/{session_id}/eval"
        assert (await client.post(path, json={"trials": 0})).status_code == 401, "the token first, then the body"
        for trials in (0, 21, "many"):
            refused = await client.post(path, headers=STAFF, json={"trials": trials})
            assert refused.status_code == 400 and "trials" in refused.json()["detail"], refused.text
        unknown = await client.post("/api/playground/sessions/pg-none/eval", headers=STAFF, json={})
        assert unknown.status_code == 404
        openai = await client.post(path, headers=STAFF, json={"provider": "openai"})
        assert openai.status_code == 400 and "provider: must be one of offline" in openai.json()["detail"]
    async with running_app(settings_for(tmp_path / "plain")) as (_, client):  # built without an evaluator
        session_id = await converse(client, "hello")
        missing = await client.post(f"/api/playground/sessions/{session_id}/eval", headers=STAFF, json={})
        assert missing.status_code == 501 and "scheduling-agent serve" in missing.json()["detail"]


async def test_a_session_whose_only_turn_failed_has_nothing_to_replay(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, llm_provider="stub")
    async with running_app(settings, stub_script=StubScript(), evaluator=EVALUATOR) as (_, client):
        response = await client.post("/api/playground/chat", headers=STAFF, json={"message": "hi", "provider": "stub"})
        session_id = response.text.split('"session_id": "')[1].split('"')[0]
        nothing = await client.post(
            f"/api/playground/sessions/{session_id}/eval", headers=STAFF, json={"trials": 1, "provider": "stub"}
        )
    assert nothing.status_code == 409 and "no finished turn" in nothing.json()["detail"]
