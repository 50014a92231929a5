"""Several `scheduling-agent serve` instances on one PostgreSQL behave as one service.

Each instance here is a separate process (its own pools, caches, leases and event loop), as on
separate machines, reached over real HTTP; the only thing they share is the database. What
must hold: the database alone decides a double booking; any instance continues any chat
session, its pending confirmation included; a killed instance's session is taken over within
its lease, with no booking lost or made twice; and another instance's bookings and holds show
in availability within AVAILABILITY_CACHE_SECONDS (0: on the next request).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import psycopg
import pytest

from tests.support.killed_turn import BOOKED, PATIENT, KillAfterBooking
from tests.support.openai_server import OpenAICompatibleServer, openai_provider
from tests.support.servers import ServeProcess, wait_until
from tests.support.sse import chat, parse_text

DAY, TYPE = "2026-12-01", "followup"  # a Tuesday of the shipped schedule, 15-minute slots


def confirmed(database_url: str) -> list[tuple[str, str]]:
    """(date, start) of every confirmed booking, read from the shared database itself."""
    with psycopg.connect(database_url) as db:
        rows = db.execute(
            "SELECT date::text, left(start_time::text, 5) FROM bookings WHERE status = 'confirmed' ORDER BY 1, 2"
        ).fetchall()
    return [(day, start) for day, start in rows]


def free_times(server: ServeProcess, day: str = DAY) -> list[str]:
    with server.client() as client:
        response = client.get("/api/calendly/availability", params={"date": day, "appointment_type": TYPE})
    assert response.status_code == 200, response.text
    return [slot["start_time"] for slot in response.json()["available_slots"]]


def booking(start: str, n: int) -> dict[str, Any]:
    return {
        "appointment_type": TYPE,
        "date": DAY,
        "start_time": start,
        "patient": {"name": f"Patient {n}", "email": f"patient{n}@example.com", "phone": f"555 01{n:02d}"},
    }


@pytest.fixture
def two_instances(serve_process, postgres_url):
    """Factory: (a, b), two `serve` processes on one fresh PostgreSQL database."""

    def start(**settings: Any) -> tuple[ServeProcess, ServeProcess]:
        a = serve_process("a", database_url=postgres_url, **settings)
        b = serve_process("b", database_url=postgres_url, **settings)
        return a, b

    return start


def test_fifty_concurrent_bookings_of_one_slot_across_two_instances_make_one(two_instances, postgres_url) -> None:
    a, b = two_instances()

    async def race() -> list[httpx.Response]:
        async with a.async_client(timeout=60) as on_a, b.async_client(timeout=60) as on_b:
            clients = [on_a, on_b] * 25
            return await asyncio.gather(
                *(c.post("/api/calendly/book", json=booking("09:00", n)) for n, c in enumerate(clients))
            )

    responses = asyncio.run(race())
    statuses = [r.status_code for r in responses]
    assert sorted(set(statuses)) == [201, 409], statuses
    assert statuses.count(201) == 1
    losers = {n % 2 for n, status in enumerate(statuses) if status == 409}
    assert losers == {0, 1}, "both instances refused, not only the one that did not book"
    assert all("alternatives" in r.json() for r in responses if r.status_code == 409)
    assert confirmed(postgres_url) == [(DAY, "09:00")]
    won = responses[statuses.index(201)].json()
    for server in (a, b):  # the one booking is the same booking seen from both
        assert "09:00" not in free_times(server)
        with server.client() as client:
            stored = client.get(
                f"/api/calendly/bookings/{won['booking_id']}", params={"confirmation_code": won["confirmation_code"]}
            )
        assert stored.status_code == 200 and stored.json()["details"]["start_time"] == "09:00"


def test_a_chat_started_on_one_instance_is_confirmed_on_the_other_and_books_once(two_instances, postgres_url) -> None:
    a, b = two_instances(llm_provider="offline")
    with a.client(timeout=30) as on_a, b.client(timeout=30) as on_b:
        sid = chat(on_a, message="Hi! Can I get a follow-up next Tuesday morning?")[0]["session_id"]
        asked = chat(on_a, session_id=sid, message="9:00 please. Jane Roe, jane@example.com, 555 0100")
        assert asked[-1]["type"] == "done" and asked[-1]["pending"]["name"] == "book_slot", asked[-1]
        response = on_b.get(f"/api/chat/{sid}")
        assert response.status_code == 200, response.text
        seen_on_b = response.json()
        assert seen_on_b["pending"]["name"] == "book_slot", "B sees what A proposed"
        assert [m["text"] for m in seen_on_b["messages"] if m["role"] == "user"] == [
            "Hi! Can I get a follow-up next Tuesday morning?",
            "9:00 please. Jane Roe, jane@example.com, 555 0100",
        ]

        yes = chat(on_b, session_id=sid, message="yes")
        assert yes[-1]["type"] == "done" and yes[-1]["booking"]["start_time"] == "09:00", yes[-1]
        assert on_a.get(f"/api/chat/{sid}").json()["pending"] is None, "A sees that B answered it"

        again = chat(on_a, session_id=sid, message="yes")  # the patient repeats it, on A
        assert again[-1]["type"] == "done"
        assert not [e for e in again if e["type"] == "tool_call" and e["name"] == "book_slot"]
    assert confirmed(postgres_url) == [(DAY, "09:00")]


def test_an_instance_killed_mid_turn_leaves_its_session_to_the_other_within_the_lease(
    two_instances, postgres_url
) -> None:
    model = KillAfterBooking()
    with OpenAICompatibleServer(model) as openai:
        a, b = two_instances(**openai_provider(openai), session_lease_seconds=1.0)
        with a.client(timeout=30) as on_a, b.client(timeout=30) as on_b:
            asked = chat(on_a, message=f"Book me a follow-up Tuesday December 1 at 9. {PATIENT}")
            sid = asked[0]["session_id"]
            assert asked[-1]["pending"]["name"] == "book_slot"
            with on_a.stream("POST", "/api/chat", json={"session_id": sid, "confirm": True}) as response:
                assert response.status_code == 200
                assert model.holding.wait(15), "the model was asked for the reply after the booking"
                busy = on_b.post("/api/chat", json={"session_id": sid, "message": "yes"})
                assert busy.status_code == 409, "while A runs the turn, B refuses the session"
                a.kill()  # SIGKILL: no shutdown, no end-of-turn checkpoint, the lease left behind
        model.release.set()
        assert confirmed(postgres_url) == [(DAY, "09:00")]

        with b.client(timeout=30) as on_b:
            messages = on_b.get(f"/api/chat/{sid}").json()["messages"]
            booked = [m for m in messages if m["role"] == "tool_result" and m["name"] == "book_slot"]
            assert [r["data"]["start_time"] for r in booked] == ["09:00"], "B reads A's booking in the session"

            def yes_once_the_lease_is_free() -> list[dict[str, Any]] | None:
                reply = on_b.post("/api/chat", json={"session_id": sid, "message": "yes"})
                if reply.status_code == 409:  # A's lease: it runs out within a second
                    return None
                assert reply.status_code == 200, reply.text
                return [event["data"] for event in parse_text(reply.text)]

            again = wait_until(yes_once_the_lease_is_free, 10.0, 0.2, "the killed instance's lease to run out")
            assert again[-1]["type"] == "done", again[-1]
            assert BOOKED in again[-1]["reply"] and "You're all set" in again[-1]["reply"]
            assert "taken" not in again[-1]["reply"]
            assert not [e for e in again if e["type"] == "tool_call"], "nothing is booked again"
            later = chat(on_b, session_id=sid, message="thanks!")
        assert later[-1]["type"] == "done", "the session is B's now"
    assert confirmed(postgres_url) == [(DAY, "09:00")]


def test_without_the_cache_availability_on_one_instance_shows_the_others_changes_on_the_next_request(
    two_instances,
) -> None:
    a, b = two_instances(availability_cache_seconds=0)
    assert {"09:00", "09:15"} <= set(free_times(b))

    with a.client() as on_a:
        made = on_a.post("/api/calendly/book", json=booking("09:00", 1))
        assert made.status_code == 201, made.text
        assert "09:00" not in free_times(b), "B's next request after A's commit"

        held = on_a.post("/api/calendly/holds", json={"appointment_type": TYPE, "date": DAY, "start_time": "09:15"})
        assert held.status_code == 201, held.text
        assert "09:15" not in free_times(b)
        with b.client() as on_b:  # and B refuses to book what A holds
            assert on_b.post("/api/calendly/book", json=booking("09:15", 2)).status_code == 409

        assert on_a.delete(f"/api/calendly/holds/{held.json()['hold_id']}").status_code == 204
        assert "09:15" in free_times(b)
        cancel = on_a.post(
            f"/api/calendly/bookings/{made.json()['booking_id']}/cancel",
            json={"confirmation_code": made.json()["confirmation_code"]},
        )
        assert cancel.status_code == 200, cancel.text
        assert "09:00" in free_times(b)


def test_with_the_default_cache_another_instance_catches_up_within_it(two_instances) -> None:
    a, b = two_instances()  # AVAILABILITY_CACHE_SECONDS=1: B may answer from what it read just before
    assert "09:00" in free_times(b)
    with a.client() as on_a:
        assert on_a.post("/api/calendly/book", json=booking("09:00", 1)).status_code == 201
    assert "09:00" not in free_times(a), "the instance that booked: at once"
    wait_until(lambda: "09:00" not in free_times(b), 10.0, 0.1, "B's cached answer to run out")
