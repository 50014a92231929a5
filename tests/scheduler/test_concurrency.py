"""Double booking is impossible, also across processes; bookings survive a restart.

Real HTTP: one in-thread live server, or `scheduling-agent serve` processes sharing a database.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

import httpx

from tests.support.calendly import (
    API,
    PATIENT,
    book_ok,
    booking_body,
    free_times,
    stored_bookings,
    without_history,
)

TUESDAY = "2026-11-24"
N = 50


def _bodies(n: int, day: str = TUESDAY, start: str = "10:00") -> list[dict]:
    return [booking_body(day, start, patient={**PATIENT, "name": f"Patient {i}"}) for i in range(n)]


async def _race(clients: list[httpx.AsyncClient], bodies: list[dict]) -> list[httpx.Response]:
    """Send every body at once, spreading them over `clients` in turn; all requests start together."""
    go = asyncio.Event()

    async def one(client: httpx.AsyncClient, body: dict) -> httpx.Response:
        await go.wait()
        return await client.post(f"{API}/book", json=body)

    tasks = [asyncio.create_task(one(clients[i % len(clients)], body)) for i, body in enumerate(bodies)]
    await asyncio.sleep(0)  # let every task reach the gate
    go.set()
    return await asyncio.gather(*tasks)


def _check_one_winner(responses: list[httpx.Response], database_url: str, start: str = "10:00") -> dict:
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: N - 1}, {
        s: [r.text for r in responses if r.status_code == s][:2] for s in statuses
    }
    winner = next(r.json() for r in responses if r.status_code == 201)
    for loser in (r for r in responses if r.status_code == 409):
        assert start not in [a["start_time"] for a in loser.json()["alternatives"]]
    confirmed = [b for b in stored_bookings(database_url) if b["status"] == "confirmed"]
    assert [(b["booking_id"], b["start_time"]) for b in confirmed] == [(winner["booking_id"], start)]
    return winner


async def test_fifty_concurrent_bookings_of_one_slot_give_one_201(live_server) -> None:
    server = live_server()
    limits = httpx.Limits(max_connections=N, max_keepalive_connections=N)
    async with server.async_client(limits=limits) as client:
        responses = await _race([client], _bodies(N))
    winner = _check_one_winner(responses, server.settings.database_url)
    with server.client() as client:
        assert "10:00" not in free_times(client, TUESDAY)
        got = client.get(
            f"{API}/bookings/{winner['booking_id']}", params={"confirmation_code": winner["confirmation_code"]}
        )
        assert got.status_code == 200 and without_history(got.json()) == winner


async def test_fifty_concurrent_bookings_across_two_server_processes_give_one_201(serve_process, database_url) -> None:
    first = serve_process("first", database_url=database_url)
    second = serve_process("second", database_url=database_url)
    limits = httpx.Limits(max_connections=N, max_keepalive_connections=N)
    async with first.async_client(limits=limits) as a, second.async_client(limits=limits) as b:
        responses = await _race([a, b], _bodies(N))
    _check_one_winner(responses, database_url)
    # Both processes see the booking.
    for process in (first, second):
        with process.client() as client:
            assert "10:00" not in free_times(client, TUESDAY)
    assert "database is locked" not in first.log_text() + second.log_text()


async def test_concurrent_bookings_of_different_slots_all_succeed(live_server) -> None:
    server = live_server()
    starts = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "13:00", "13:30", "14:00", "14:30"]
    async with server.async_client() as client:
        responses = await asyncio.gather(*(client.post(f"{API}/book", json=booking_body(TUESDAY, s)) for s in starts))
    assert [r.status_code for r in responses] == [201] * len(starts)
    with server.client() as client:
        assert [s for s in free_times(client, TUESDAY) if s in starts] == []


def test_a_booking_survives_a_server_restart(serve_process) -> None:
    process = serve_process()
    with process.client() as client:
        made = book_ok(client, TUESDAY, "11:30", reason="Back pain")
    # SIGTERM: a graceful shutdown (uvicorn re-raises the signal once done, hence -15, not 0).
    assert process.stop() in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in process.log_text()

    process.start()
    assert process.starts == 2
    with process.client() as client:
        got = client.get(
            f"{API}/bookings/{made['booking_id']}", params={"confirmation_code": made["confirmation_code"]}
        )
        assert got.status_code == 200
        assert without_history(got.json()) == made
        assert "11:30" not in free_times(client, TUESDAY)
        again = client.post(f"{API}/book", json=booking_body(TUESDAY, "11:30"))
        assert again.status_code == 409
    assert not [e for e in process.log_entries() if e.get("level") in ("ERROR", "CRITICAL")]


def test_a_booking_survives_a_hard_kill(serve_process) -> None:
    process = serve_process()
    with process.client() as client:
        made = book_ok(client, TUESDAY, "13:00")
    process.kill()  # SIGKILL: no shutdown at all; the 201 meant the booking was committed
    process.start()
    with process.client() as client:
        got = client.get(
            f"{API}/bookings/{made['booking_id']}", params={"confirmation_code": made["confirmation_code"]}
        )
        assert got.status_code == 200
        assert "13:00" not in free_times(client, TUESDAY)


async def test_concurrent_cancels_of_one_booking_give_one_200(live_server) -> None:
    server = live_server()
    with server.client() as client:
        made = book_ok(client, TUESDAY, "14:00")
    url = f"{API}/bookings/{made['booking_id']}/cancel"
    async with server.async_client() as client:
        responses = await asyncio.gather(
            *(client.post(url, json={"confirmation_code": made["confirmation_code"]}) for _ in range(10))
        )
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 9}
    with server.client() as client:
        assert "14:00" in free_times(client, TUESDAY)
