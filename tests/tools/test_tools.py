"""The tools against the running scheduling service, over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ValidationError

from api.main import create_app
from tests.support.servers import DEFAULT_NOW, SCHEDULE_FILE, SLOTS_FILE, IsolatedSettings
from tools.http import SchedulerHttpClient
from tools.scheduling import build_tools

PATIENT = {"patient_name": "Jane Roe", "patient_email": "jane@example.com", "patient_phone": "555 0100"}


def json_schema(tool: BaseTool) -> dict[str, Any]:
    schema = tool.tool_call_schema
    assert isinstance(schema, type) and issubclass(schema, BaseModel), schema
    return schema.model_json_schema()


def test_schemas_teach_the_formats() -> None:
    check, book = build_tools(SchedulerHttpClient("http://127.0.0.1:1"))
    c = json_schema(check)
    b = json_schema(book)
    assert set(c["required"]) == {"date", "appointment_type"}
    assert set(b["required"]) == {
        "date",
        "start_time",
        "appointment_type",
        "patient_name",
        "patient_email",
        "patient_phone",
    }
    assert "YYYY-MM-DD" in c["properties"]["date"]["description"]
    assert "HH:MM" in b["properties"]["start_time"]["description"]
    assert set(c["properties"]["appointment_type"]["enum"]) == {"consultation", "followup", "physical", "specialist"}
    assert "morning" in c["properties"]["time_of_day"]["description"]
    for schema in (c, b):
        for name, prop in schema["properties"].items():
            assert prop.get("description"), f"{name} has no description"


@pytest.fixture
async def tools(live_server):
    server = live_server()
    client = SchedulerHttpClient(server.url, retries=1, backoff=0.01)
    yield server, build_tools(client)
    await client.aclose()


async def call(tool, **args) -> dict:
    return json.loads(await tool.ainvoke(args))


async def test_check_availability_success_and_time_of_day(tools) -> None:
    _, (check, _) = tools
    everything = await call(check, date="2026-11-24", appointment_type="specialist")
    afternoon = await call(check, date="2026-11-24", appointment_type="specialist", time_of_day="afternoon")
    after_three = await call(check, date="2026-11-24", appointment_type="specialist", time_of_day="after 15:00")
    assert everything["ok"] and everything["day"] == "Tuesday, November 24"
    assert everything["slots"] == ["10:00", "11:00", "13:00", "14:00", "15:00", "16:00"]
    assert afternoon["slots"] == ["13:00", "14:00", "15:00", "16:00"] and afternoon["other_free_that_day"] == 2
    assert after_three["slots"] == ["15:00", "16:00"]
    assert everything["next_available"] == "2026-11-26"


async def test_check_availability_no_schedule_points_to_next_date(tools) -> None:
    _, (check, _) = tools
    result = await call(check, date="2026-11-29", appointment_type="specialist")  # a Sunday
    assert result["ok"] is False and result["error"] == "no_schedule"
    assert result["next_available"] == "2026-12-01"
    assert "Tuesday, December 1" in result["hint"]


async def test_check_availability_bad_argument_is_a_result_not_an_exception(tools) -> None:
    server, (check, _) = tools
    # The schema rejects a non-ISO date before any HTTP call: LangChain reports it to the model.
    with pytest.raises(ValidationError):
        await check.ainvoke({"date": "tomorrow", "appointment_type": "followup"})
    client = SchedulerHttpClient(server.url)
    reply = await client.availability("2026-13-45", "followup")
    await client.aclose()
    assert reply.status == 400 and "date" in reply.body["detail"]


async def test_book_slot_success_then_taken_offers_alternatives(tools) -> None:
    _, (check, book) = tools
    first = await call(book, date="2026-11-24", start_time="14:00", appointment_type="specialist", **PATIENT)
    assert first["ok"] and first["booking_id"].startswith("APPT-20261124-") and len(first["confirmation_code"]) == 8
    again = await call(book, date="2026-11-24", start_time="14:00", appointment_type="specialist", **PATIENT)
    assert again["ok"] is False and again["error"] == "slot_taken"
    assert again["alternatives"] and "14:00" not in again["alternatives"]
    assert all(alt in again["hint"] for alt in again["alternatives"])
    after = await call(check, date="2026-11-24", appointment_type="specialist")
    assert "14:00" not in after["slots"]


async def test_book_slot_invalid_email_and_missing_slot(tools) -> None:
    _, (_, book) = tools
    bad = await call(
        book,
        date="2026-11-24",
        start_time="15:00",
        appointment_type="specialist",
        patient_name="Jane",
        patient_email="jane-at-example",
        patient_phone="555 0100",
    )
    assert bad["error"] == "invalid_request" and "patient.email" in bad["message"]
    missing = await call(book, date="2026-11-24", start_time="15:30", appointment_type="specialist", **PATIENT)
    assert missing["ok"] is False and missing["error"] == "no_schedule"


def failing_client(error: type[httpx.TransportError], retries: int) -> tuple[SchedulerHttpClient, list[httpx.Request]]:
    """A client whose every request fails with `error`, and the requests it sent."""
    sent: list[httpx.Request] = []

    def fail(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        raise error("failed", request=request)

    client = SchedulerHttpClient("http://scheduler.test", retries=retries, backoff=0.001)
    client._http = httpx.AsyncClient(base_url="http://scheduler.test", transport=httpx.MockTransport(fail))
    return client, sent


async def test_service_unreachable_gives_guidance_after_bounded_retries() -> None:
    client, sent = failing_client(httpx.ConnectError, retries=2)
    check, book = build_tools(client)
    result = await call(check, date="2026-11-24", appointment_type="followup")
    assert result == {"ok": False, "error": "service_unavailable", "message": result["message"], "hint": result["hint"]}
    assert len(sent) == 3 and "not reachable" in result["hint"]
    booked = await call(book, date="2026-11-24", start_time="09:00", appointment_type="followup", **PATIENT)
    assert booked["error"] == "service_unavailable"
    await client.aclose()


async def test_real_unreachable_port() -> None:
    client = SchedulerHttpClient("http://127.0.0.1:9", retries=1, backoff=0.001)
    check, _ = build_tools(client)
    result = await call(check, date="2026-11-24", appointment_type="followup")
    await client.aclose()
    assert result["error"] == "service_unavailable" and "ConnectError" in result["message"]


async def test_a_timed_out_booking_is_retried_with_the_same_idempotency_key() -> None:
    """A timed-out booking may have happened; sent again with the same key, the service answers it
    once (tests/scheduler/test_idempotency.py), so retrying cannot book twice."""
    client, sent = failing_client(httpx.ReadTimeout, retries=3)
    _, book = build_tools(client)
    result = await call(book, date="2026-11-24", start_time="09:00", appointment_type="followup", **PATIENT)
    again = await call(book, date="2026-11-24", start_time="09:00", appointment_type="followup", **PATIENT)
    await client.aclose()
    keys = [r.headers.get("Idempotency-Key") for r in sent]
    assert len(sent) == 8 and len(set(keys[:4])) == 1 and keys[0], "one call: four tries, one key"
    assert set(keys[:4]).isdisjoint(keys[4:]), "another call: another key"
    assert result["error"] == again["error"] == "service_unavailable"


async def test_the_in_process_client_asks_for_uncompressed_answers() -> None:
    """The app gzips JSON when asked; in-process there is no wire, so the tools do not ask."""
    settings = IsolatedSettings(
        database_url="sqlite:///:memory:", slots_file=SLOTS_FILE, schedule_file=SCHEDULE_FILE, scheduler_now=DEFAULT_NOW
    )
    app = create_app(settings)
    seen: list[str | None] = []

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(dict(scope["headers"]).get(b"accept-encoding", b"").decode() or None)

            async def send_seen(message: Any) -> None:
                if message["type"] == "http.response.start":
                    seen.append(dict(message["headers"]).get(b"content-encoding", b"-").decode())
                await send(message)

            await app(scope, receive, send_seen)
        else:
            await app(scope, receive, send)

    async with app.router.lifespan_context(app):
        client = SchedulerHttpClient(app=recording)
        reply = await client.availability("2026-12-01", "followup")
        await client.aclose()
        remote = SchedulerHttpClient("http://127.0.0.1:1")
        assert remote._http.headers["accept-encoding"] != "identity"  # over a network, httpx's default
        await remote.aclose()
    assert reply.ok and len(json.dumps(reply.body)) > 500, "an answer the app would compress"
    assert seen == ["identity", "-"]
