"""At most N upcoming bookings per e-mail and per phone (LIMIT_UPCOMING_BOOKINGS), over real HTTP.

Clock frozen at Monday 2026-11-23 09:00 (clinic-local); tests move it with `Clock.advance`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
import pytest

from api.deps import services
from tests.support.calendly import API, PATIENT, book, book_ok, booking_body, stored_bookings

TUESDAY = "2026-11-24"
LIMIT = 3


@pytest.fixture
def server(live_server):
    return live_server(limit_upcoming_bookings=LIMIT)


def other(n: int) -> dict[str, str]:
    """A different patient: own e-mail and phone."""
    return {"name": f"Other Patient {n}", "email": f"other{n}@example.com", "phone": f"+1 555 200 {1000 + n}"}


def refused_as_over_limit(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["reason"] == "upcoming_limit" and body["limit"] == LIMIT
    assert body["detail"] == (
        "This e-mail address or phone number already has 3 upcoming bookings, the most one patient may hold. "
        "Cancel one first (with its confirmation code), or call the clinic."
    )


def test_the_fourth_upcoming_booking_of_one_email_is_refused_until_one_is_cancelled(server, client) -> None:
    made = [book_ok(client, TUESDAY, start) for start in ("09:00", "10:00", "11:00")]
    # The same e-mail in other letters and with another phone is the same patient.
    again = book(
        client, TUESDAY, "13:00", patient={**PATIENT, "email": "Jane.Roe@Example.COM", "phone": "555 999 0000"}
    )
    refused_as_over_limit(again)
    assert len(stored_bookings(server.settings.database_url)) == LIMIT, "nothing half-written"

    first = made[0]
    cancel = client.post(
        f"{API}/bookings/{first['booking_id']}/cancel", json={"confirmation_code": first["confirmation_code"]}
    )
    assert cancel.status_code == 200, cancel.text
    assert book(client, TUESDAY, "13:00").status_code == 201
    refused_as_over_limit(book(client, TUESDAY, "14:00"))


def test_one_phone_in_another_spelling_counts_as_one_patient(client) -> None:
    for n, start in enumerate(("09:00", "10:00", "11:00")):
        book_ok(client, TUESDAY, start, patient={**other(n), "phone": "+1 (555) 123-4567"})
    refused_as_over_limit(book(client, TUESDAY, "13:00", patient={**other(9), "phone": "1-555-123-4567"}))
    assert book(client, TUESDAY, "13:00", patient=other(9)).status_code == 201, "another patient still books"


def test_past_bookings_do_not_count(server, client) -> None:
    for start in ("09:30", "10:00", "11:00"):
        book_ok(client, "2026-11-23", start)  # today, after 09:00
    refused_as_over_limit(book(client, TUESDAY, "09:00"))
    services(server.app).clock.advance(timedelta(hours=1, minutes=15))  # 10:15: 09:30 and 10:00 are past
    assert book(client, TUESDAY, "09:00").status_code == 201
    assert book(client, TUESDAY, "10:00").status_code == 201
    refused_as_over_limit(book(client, TUESDAY, "11:00"))


def test_zero_switches_the_limit_off(live_server) -> None:
    server = live_server(limit_upcoming_bookings=0)
    with server.client() as client:
        for start in ("09:00", "09:30", "10:00", "10:30", "11:00"):
            book_ok(client, TUESDAY, start)


async def test_concurrent_bookings_of_one_patient_on_two_servers_stop_at_the_limit(live_server, database_url) -> None:
    """Two servers (two database connections) share one file: the count and the insert are one
    statement, so twenty bookings of one patient at once still give exactly LIMIT."""
    servers = [live_server(database_url=database_url, limit_upcoming_bookings=LIMIT) for _ in range(2)]
    starts = [f"{h:02d}:{m:02d}" for h in (9, 10, 11, 13, 14) for m in (0, 15, 30, 45)]
    go = asyncio.Event()

    async def one(client: httpx.AsyncClient, start: str) -> httpx.Response:
        await go.wait()
        return await client.post(f"{API}/book", json=booking_body(TUESDAY, start, "followup"))

    clients = [server.async_client() for server in servers]
    try:
        tasks = [asyncio.create_task(one(clients[i % 2], start)) for i, start in enumerate(starts)]
        await asyncio.sleep(0)
        go.set()
        responses = await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.aclose()
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: LIMIT, 409: len(starts) - LIMIT}, statuses
    assert all(r.json()["reason"] == "upcoming_limit" for r in responses if r.status_code == 409)
    assert len([b for b in stored_bookings(database_url) if b["status"] == "confirmed"]) == LIMIT


def test_a_patient_at_the_limit_can_still_reschedule(client) -> None:
    made = [book_ok(client, TUESDAY, start) for start in ("09:00", "10:00", "11:00")]
    first = made[0]
    moved = client.post(
        f"{API}/bookings/{first['booking_id']}/reschedule",
        json={"confirmation_code": first["confirmation_code"], "date": TUESDAY, "start_time": "13:00"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["details"]["start_time"] == "13:00"
    refused_as_over_limit(book(client, TUESDAY, "14:00"))
