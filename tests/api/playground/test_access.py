"""The playground is off without PLAYGROUND_TOKEN (404, and not in the API schema), its API
staff-only with it (401; the sign-in page itself is public), and it never changes what patients
get."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.deps import runtime_of, services
from tests.api.playground.conftest import STAFF, TOKEN, PromptLog, running_app, settings_for, turn

API_ROUTES = [
    ("GET", "/api/playground/config"),
    ("GET", "/api/playground/prompt"),
    ("POST", "/api/playground/chat"),
    ("GET", "/api/playground/sessions/pg-abc"),
    ("GET", "/api/playground/sessions/pg-abc/export"),
    ("POST", "/api/playground/sessions/pg-abc/eval"),
]
ROUTES = [("GET", "/playground"), *API_ROUTES]


async def test_every_route_is_404_while_no_token_is_configured(tmp_path: Path) -> None:
    async with running_app(settings_for(tmp_path, playground_token=None)) as (_, client):
        for method, path in ROUTES:
            for headers in ({}, STAFF):
                response = await client.request(method, path, headers=headers, json={"message": "hi"})
                assert response.status_code == 404, (method, path, response.text)
        assert (await client.get("/health")).status_code == 200  # the rest of the app is there
        schema = (await client.get("/openapi.json")).json()
        assert not [p for p in schema["paths"] if "playground" in p], "an off playground is not advertised"


async def test_the_api_schema_lists_the_playground_when_it_is_on(tmp_path: Path) -> None:
    async with running_app(settings_for(tmp_path)) as (_, client):
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert {p for p in paths if p.startswith("/api/playground")} == {
            "/api/playground/config",
            "/api/playground/prompt",
            "/api/playground/chat",
            "/api/playground/sessions/{session_id}",
            "/api/playground/sessions/{session_id}/export",
            "/api/playground/sessions/{session_id}/eval",
        }
        assert "/playground" not in paths  # the page is not an API


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Bearer "},
    ],
    ids=["none", "wrong", "basic-scheme", "no-scheme", "longer", "empty"],
)
async def test_api_requests_without_the_token_get_401(tmp_path: Path, headers: dict[str, str]) -> None:
    async with running_app(settings_for(tmp_path)) as (_, client):
        for method, path in API_ROUTES:
            response = await client.request(method, path, headers=headers, content=b"{not json")
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert "PLAYGROUND_TOKEN" in response.json()["detail"]


async def test_the_page_without_the_token_is_only_the_sign_in_form(tmp_path: Path) -> None:
    async with running_app(settings_for(tmp_path)) as (_, client):
        page = await client.get("/playground")
        assert page.status_code == 200, "a page a browser opens is not an error; its API asks for the token"
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        assert 'id="signin-form"' in page.text
        assert "You are the scheduling assistant" not in page.text  # no prompt or data in the page
        assert "<script>" in page.text and "<style>" in page.text and 'src="playground.js"' not in page.text
        staff_page = await client.get("/playground", headers=STAFF)
        assert staff_page.status_code == 200 and staff_page.text == page.text


async def test_with_the_token_the_api_answers(tmp_path: Path) -> None:
    async with running_app(settings_for(tmp_path)) as (_, client):
        config = (await client.get("/api/playground/config", headers=STAFF)).json()
        assert config["prompt"].startswith("You are the scheduling assistant of {{clinic_name}}")
        assert config["providers"] == ["offline"]  # no OpenAI key configured: not offered
        assert config["default_provider"] == "offline"
        # the Model field shows what runs, and the page says the embedded model ignores the prompt
        assert config["default_model"] == config["models"]["offline"] == "offline-rules (embedded, rule-based)"
        assert config["reads_prompt"] == {"offline": False}
        assert config["now"] == "2026-11-23T09:00:00"
        assert (await client.get("/api/playground/prompt", headers=STAFF)).json()["prompt"] == config["prompt"]
        refused = await client.post("/api/playground/chat", headers=STAFF, json={"message": "hi", "provider": "openai"})
        assert (
            refused.status_code == 400 and refused.json()["detail"] == "provider: must be one of offline; got 'openai'"
        )
        unknown = await client.post("/api/playground/chat", headers=STAFF, json={"message": "hi", "temprature": 1})
        assert unknown.status_code == 400 and "temprature: is not an accepted field" in unknown.json()["detail"]


async def test_openai_is_offered_only_when_configured(tmp_path: Path) -> None:
    async with running_app(settings_for(tmp_path, openai_base_url="http://127.0.0.1:9/v1")) as (_, client):
        config = (await client.get("/api/playground/config", headers=STAFF)).json()
        assert config["providers"] == ["offline", "openai"]
        assert config["models"]["openai"] == "gpt-4o-mini" and config["reads_prompt"]["openai"] is True


async def test_the_edited_prompt_reaches_the_model_for_that_session_only(tmp_path: Path, prompt_log: PromptLog) -> None:
    edited = "You are a TEST assistant of {{clinic_name}}. Today is {{weekday}}, {{today}}. Playground marker 7731."
    async with running_app(settings_for(tmp_path), model_hook=prompt_log.hook()) as (app, client):
        events = await turn(client, message="Hi, a consultation tomorrow morning", prompt=edited)
        session_id = events[0]["session_id"]
        assert session_id.startswith("pg-")
        assert prompt_log.prompts, "the model was not called"
        assert all(
            p
            == (
                "You are a TEST assistant of Riverside Family Clinic. Today is Monday, 2026-11-23. "
                "Playground marker 7731."
            )
            for p in prompt_log.prompts
        )

        # A patient at the same time gets the shipped prompt.
        prompt_log.prompts.clear()
        patient = await turn(client, path="/api/chat", headers=None, message="Hi, a consultation tomorrow morning")
        assert patient[-1]["type"] == "done"
        shipped = "You are the scheduling assistant of Riverside Family Clinic"
        assert prompt_log.prompts and all(p.startswith(shipped) for p in prompt_log.prompts)
        assert not any("7731" in p for p in prompt_log.prompts)

        # The playground continues only its own sessions, never a patient's.
        patient_session = patient[0]["session_id"]
        foreign = await client.post(
            "/api/playground/chat", headers=STAFF, json={"session_id": patient_session, "message": "hi"}
        )
        assert foreign.status_code == 404

        # Resetting the prompt in the same session goes back to the shipped one.
        prompt_log.prompts.clear()
        await turn(client, session_id=session_id, message="10:00 please")
        assert prompt_log.prompts and all(p.startswith("You are the scheduling assistant") for p in prompt_log.prompts)

        summary = (await client.get(f"/api/playground/sessions/{session_id}", headers=STAFF)).json()
        assert summary["settings"] == {
            "provider": "offline",
            "model": "offline-rules (embedded, rule-based)",  # what really ran, not the OpenAI default
            "temperature": None,
            "custom_prompt": False,
        }
        assert summary["turns"] == 2
        assert [m["role"] for m in summary["messages"]][:3] == ["user", "tool_call", "tool_result"]


async def test_staff_sessions_are_apart_from_patients_and_evicted_whole(tmp_path: Path) -> None:
    async with running_app(settings_for(tmp_path)) as (app, client):
        staff_sessions = services(app).staff_sessions
        assert staff_sessions is not None
        staff_sessions.limit = 2
        first = (await turn(client, message="hello"))[0]["session_id"]
        assert first.startswith("pg-")
        # A patient's endpoint never reaches a staff session, and the staff runtime is not the patients'.
        assert (await client.get(f"/api/chat/{first}")).status_code == 404
        assert (await client.post("/api/chat", json={"session_id": first, "message": "hi"})).status_code == 404
        assert services(app).playground is not runtime_of(app)
        staff_runtime = services(app).playground
        assert staff_runtime is not None
        assert await staff_runtime.exists(first)
        await turn(client, message="hello again")
        await turn(client, message="and again")  # a third session: the least recently used one goes
        assert not await staff_runtime.exists(first), "its conversation is forgotten, not only its settings"
        gone = await client.get(f"/api/playground/sessions/{first}", headers=STAFF)
        assert gone.status_code == 404
