"""Staff sessions live in the sessions database, so two app instances on it (two workers, or
two servers) are one playground: either continues, shows, exports or evicts any staff session.
One suite over both dialects (`database_url` is the sessions database: CHECKPOINT_URL)."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import yaml

from api.deps import services
from tests.api.playground.conftest import STAFF, running_app, settings_for, turn


def shared(tmp_path: Path, database_url: str) -> AbstractAsyncContextManager[tuple[Any, httpx.AsyncClient]]:
    """An app on the test's one bookings file and one sessions database."""
    return running_app(settings_for(tmp_path, checkpoint_url=database_url))


async def test_a_staff_session_started_on_one_instance_continues_on_another(tmp_path: Path, database_url: str) -> None:
    prompt = "You are a TEST assistant of {{clinic_name}}. Today is {{weekday}}, {{today}}."
    async with shared(tmp_path, database_url) as (_, on_a), shared(tmp_path, database_url) as (_, on_b):
        first = await turn(on_a, message="Hi, a consultation tomorrow morning", prompt=prompt)
        session_id = first[0]["session_id"]
        second = await turn(on_b, session_id=session_id, message="10:00 please", prompt=prompt)
        assert second[0]["session_id"] == session_id
        summary = (await on_a.get(f"/api/playground/sessions/{session_id}", headers=STAFF)).json()
        assert summary["turns"] == 2 and summary["settings"]["custom_prompt"] is True
        texts = [m["text"] for m in summary["messages"] if m["role"] == "user"]
        assert texts == ["Hi, a consultation tomorrow morning", "10:00 please"], "B's turn is in A's view"
        exported = await on_b.get(f"/api/playground/sessions/{session_id}/export", headers=STAFF)
        assert exported.status_code == 200
        script = yaml.safe_load(exported.text)
        assert script["prompt"] == prompt and [t["user"] for t in script["turns"]] == texts
        # One database, but a patient's endpoint still never reaches a staff session.
        assert (await on_b.get(f"/api/chat/{session_id}")).status_code == 404
        refused = await on_b.post("/api/chat", json={"session_id": session_id, "message": "hi"})
        assert refused.status_code == 404
        patient = await turn(on_b, path="/api/chat", headers=None, message="hello")
        foreign = await on_a.get(f"/api/playground/sessions/{patient[0]['session_id']}", headers=STAFF)
        assert foreign.status_code == 404


async def test_the_least_recently_used_staff_sessions_go_whichever_instance_used_them(
    tmp_path: Path, database_url: str
) -> None:
    async with shared(tmp_path, database_url) as (app_a, on_a), shared(tmp_path, database_url) as (app_b, on_b):
        staff_a, staff_b = services(app_a).staff_sessions, services(app_b).staff_sessions
        runtime_a = services(app_a).playground
        assert staff_a is not None and staff_b is not None and runtime_a is not None
        staff_b.limit = 2
        first = (await turn(on_a, message="hello"))[0]["session_id"]
        second = (await turn(on_a, message="hello again"))[0]["session_id"]
        await turn(on_b, session_id=first, message="still there?")  # the first is now the most recent
        assert await runtime_a.exists(second)
        third = (await turn(on_b, message="and again"))[0]["session_id"]  # over B's limit: the second goes
        assert not await runtime_a.exists(second), "its conversation is forgotten, not only its settings"
        assert (await on_a.get(f"/api/playground/sessions/{second}", headers=STAFF)).status_code == 404
        for kept in (first, third):
            assert (await on_a.get(f"/api/playground/sessions/{kept}", headers=STAFF)).status_code == 200
        kept_first = await staff_a.get(first)
        assert kept_first is not None and kept_first.turns == 2


async def test_token_usage_adds_up_across_instances_counting_every_turn(tmp_path: Path, database_url: str) -> None:
    async with shared(tmp_path, database_url) as (app_a, on_a), shared(tmp_path, database_url) as (app_b, on_b):
        staff_a, staff_b = services(app_a).staff_sessions, services(app_b).staff_sessions
        assert staff_a is not None and staff_b is not None
        session_id = (await turn(on_a, message="hello"))[0]["session_id"]
        before = await staff_a.get(session_id)
        assert before is not None
        one = {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}
        # Turns ending at once in both instances: each adds its own, none overwrites another's.
        await asyncio.gather(*(staff.add_usage(session_id, one) for staff in [staff_a, staff_b] * 10))
        kept = await staff_b.get(session_id)
        assert kept is not None
        assert kept.usage == {key: before.usage.get(key, 0) + 20 * value for key, value in one.items()}
        summary = (await on_b.get(f"/api/playground/sessions/{session_id}", headers=STAFF)).json()
        assert summary["usage"] == kept.usage and summary["turns"] == 1
