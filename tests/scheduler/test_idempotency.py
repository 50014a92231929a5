"""Idempotency-Key on /book, /reschedule and /cancel, over real HTTP: a repeat gets the first
answer and has no second effect; a reused key with another request is a 422; keys live in
the database (other processes, restarts) for at least 24 hours by the clinic clock."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.support.calendly import API, PATIENT, book_ok, booking_body, query, stored_bookings

TUESDAY = "2026-11-24"


def post(client: httpx.Client, path: str, body: dict[str, Any], key: str | None) -> httpx.Response:
    return client.post(f"{API}{path}", json=body, headers={"Idempotency-Key": key} if key else {})


def stored_keys(database_url: str) -> list[str]:
    return [row["key"] for row in query(database_url, "SELECT key FROM idempotency_keys ORDER BY created_at")]


def test_a_repeated_booking_answers_the_first_response_and_books_once(server) -> None:
    body = booking_body(TUESDAY, "10:00")
    with server.client() as client:
        first = post(client, "/book", body, "key-1")
        again = post(client, "/book", body, "key-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.json()["booking_id"] == first.json()["booking_id"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert len(stored_bookings(server.settings.database_url)) == 1


def test_the_same_key_with_another_body_or_route_is_422(server) -> None:
    with server.client() as client:
        made = post(client, "/book", booking_body(TUESDAY, "10:00"), "key-2").json()
        other_body = post(client, "/book", booking_body(TUESDAY, "11:00"), "key-2")
        other_route = post(
            client, f"/bookings/{made['booking_id']}/cancel", {"confirmation_code": made["confirmation_code"]}, "key-2"
        )
    for response in (other_body, other_route):
        assert response.status_code == 422, response.text
        assert "already used for a different request" in response.json()["detail"]
    assert [(b["start_time"], b["status"]) for b in stored_bookings(server.settings.database_url)] == [
        ("10:00", "confirmed")
    ]


def test_reschedule_and_cancel_replay_without_a_second_effect(server) -> None:
    with server.client() as client:
        made = book_ok(client, TUESDAY, "10:00")
        move = {"confirmation_code": made["confirmation_code"], "date": TUESDAY, "start_time": "13:00"}
        moves = [post(client, f"/bookings/{made['booking_id']}/reschedule", move, "move-1") for _ in range(2)]
        code = {"confirmation_code": made["confirmation_code"]}
        cancels = [post(client, f"/bookings/{made['booking_id']}/cancel", code, "cancel-1") for _ in range(2)]
        history = client.get(f"{API}/bookings/{made['booking_id']}", params=code).json()["history"]
    assert [r.status_code for r in moves] == [200, 200] and moves[0].json() == moves[1].json()
    assert [r.status_code for r in cancels] == [200, 200] and cancels[0].json() == cancels[1].json()
    assert [e["event"] for e in history] == ["created", "rescheduled", "cancelled"]
    # Without a key, a second cancel is refused as before.
    with server.client() as client:
        assert post(client, f"/bookings/{made['booking_id']}/cancel", code, None).status_code == 409


def test_a_refusal_is_replayed_too(server) -> None:
    with server.client() as client:
        other = book_ok(client, TUESDAY, "10:00", patient={**PATIENT, "name": "First Patient"})
        first = post(client, "/book", booking_body(TUESDAY, "10:00"), "late-1")
        assert first.status_code == 409
        code = {"confirmation_code": other["confirmation_code"]}
        assert client.post(f"{API}/bookings/{other['booking_id']}/cancel", json=code).status_code == 200
        again = post(client, "/book", booking_body(TUESDAY, "10:00"), "late-1")
    assert again.status_code == 409 and again.json() == first.json()  # the same request, the same answer


def test_bad_input_is_not_remembered(server) -> None:
    with server.client() as client:
        bad = post(client, "/book", booking_body(TUESDAY, "25:00"), "fix-me")
        fixed = post(client, "/book", booking_body(TUESDAY, "25:00") | {"start_time": "10:00"}, "fix-me")
    assert bad.status_code == 400 and fixed.status_code == 201


@pytest.mark.parametrize("key", [b"", b"has space", b"k" * 256, "é".encode()])
def test_a_malformed_key_is_400(shared_live_server, key: bytes) -> None:
    with shared_live_server.client() as client:
        response = client.post(
            f"{API}/book",
            json=booking_body(TUESDAY, "10:00"),
            headers={"Idempotency-Key": key},
        )
    assert response.status_code == 400 and response.json()["detail"].startswith("Idempotency-Key:")


async def _same_key_at_once(clients: list[httpx.AsyncClient], n: int) -> list[httpx.Response]:
    body = booking_body(TUESDAY, "14:00")
    go = asyncio.Event()

    async def one(client: httpx.AsyncClient) -> httpx.Response:
        await go.wait()
        return await client.post(f"{API}/book", json=body, headers={"Idempotency-Key": "burst"})

    tasks = [asyncio.create_task(one(clients[i % len(clients)])) for i in range(n)]
    await asyncio.sleep(0)
    go.set()
    return await asyncio.gather(*tasks)


async def test_concurrent_requests_with_one_key_take_effect_once(live_server) -> None:
    server = live_server()
    async with server.async_client(limits=httpx.Limits(max_connections=20)) as client:
        responses = await _same_key_at_once([client], 20)
    assert Counter(r.status_code for r in responses) == {201: 20}
    assert len({r.json()["booking_id"] for r in responses}) == 1
    assert len(stored_bookings(server.settings.database_url)) == 1


async def test_one_key_across_two_server_processes_takes_effect_once(serve_process, database_url) -> None:
    first = serve_process("first", database_url=database_url)
    second = serve_process("second", database_url=database_url)
    async with first.async_client() as a, second.async_client() as b:
        responses = await _same_key_at_once([a, b], 20)
    assert Counter(r.status_code for r in responses) == {201: 20}
    assert len({r.json()["booking_id"] for r in responses}) == 1
    assert len(stored_bookings(database_url)) == 1


def test_keys_survive_a_restart_for_24_hours_then_are_purged(serve_process) -> None:
    process = serve_process(scheduler_now="2026-11-23T09:00:00")
    body = booking_body(TUESDAY, "16:00")
    with process.client() as client:
        first = post(client, "/book", body, "old-key")
    assert first.status_code == 201
    process.env["SCHEDULER_NOW"] = "2026-11-24T08:59:00"  # 23 h 59 min later, after a restart
    process.restart()
    with process.client() as client:
        again = post(client, "/book", body, "old-key")
    assert again.status_code == 201 and again.json() == first.json()
    database_url = process.env["DATABASE_URL"]
    assert stored_keys(database_url) == ["old-key"]
    process.env["SCHEDULER_NOW"] = "2026-11-24T09:00:01"  # more than 24 h: the next key purges it
    process.restart()
    with process.client() as client:
        assert post(client, "/book", booking_body(TUESDAY, "15:00"), "new-key").status_code == 201
    assert stored_keys(database_url) == ["new-key"]
    assert len(stored_bookings(database_url)) == 2
