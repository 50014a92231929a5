"""Rescheduling a booking over real HTTP: one step that keeps the id and the code, decided by
the slot index; and the history every lookup returns.

The clinic clock is frozen at Monday 2026-11-23 09:00 (the fixtures' default).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.support.calendly import (
    API,
    PATIENT,
    book_ok,
    free_times,
    stored_bookings,
    without_history,
)

TUESDAY = "2026-11-24"
WEDNESDAY = "2026-11-25"


def reschedule(client: httpx.Client, made: dict[str, Any], date: str, start: str, **extra: Any) -> httpx.Response:
    body = {"confirmation_code": made["confirmation_code"], "date": date, "start_time": start, **extra}
    return client.post(f"{API}/bookings/{made['booking_id']}/reschedule", json=body)


def lookup(client: httpx.Client, made: dict[str, Any]) -> dict[str, Any]:
    response = client.get(
        f"{API}/bookings/{made['booking_id']}", params={"confirmation_code": made["confirmation_code"]}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_reschedule_moves_the_booking_keeping_its_id_and_code(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "10:00", reason="Back pain")
    response = reschedule(client, made, WEDNESDAY, "14:00")
    assert response.status_code == 200, response.text
    moved = response.json()
    assert moved["booking_id"] == made["booking_id"] and moved["confirmation_code"] == made["confirmation_code"]
    assert moved["status"] == "confirmed"
    assert moved["details"] == {**made["details"], "date": WEDNESDAY, "start_time": "14:00", "end_time": "14:30"}
    assert without_history(lookup(client, made)) == moved
    # The old slot is offered again, the new one no longer.
    assert "10:00" in free_times(client, TUESDAY)
    assert "14:00" not in free_times(client, WEDNESDAY)


def test_reschedule_can_change_the_appointment_type(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "10:00")
    response = reschedule(client, made, TUESDAY, "10:00", appointment_type="specialist")
    assert response.status_code == 200, response.text
    details = response.json()["details"]
    assert (details["appointment_type"], details["start_time"], details["end_time"]) == ("specialist", "10:00", "11:00")
    assert "10:00" not in free_times(client, TUESDAY, "specialist")
    assert "10:00" in free_times(client, TUESDAY)  # the consultation slot is free again


def test_history_records_created_rescheduled_and_cancelled(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "10:00")
    assert reschedule(client, made, WEDNESDAY, "11:00").status_code == 200
    cancel = client.post(
        f"{API}/bookings/{made['booking_id']}/cancel", json={"confirmation_code": made["confirmation_code"]}
    )
    assert cancel.status_code == 200
    history = lookup(client, made)["history"]
    at = "2026-11-23T14:00:00Z"  # the frozen clinic clock, 09:00 Eastern (UTC-5), in UTC
    tuesday_10 = {"appointment_type": "consultation", "date": TUESDAY, "start_time": "10:00", "end_time": "10:30"}
    wednesday_11 = {"appointment_type": "consultation", "date": WEDNESDAY, "start_time": "11:00", "end_time": "11:30"}
    assert history == [
        {"event": "created", "at": at, "from_slot": None, "to_slot": tuesday_10},
        {"event": "rescheduled", "at": at, "from_slot": tuesday_10, "to_slot": wednesday_11},
        {"event": "cancelled", "at": at, "from_slot": wednesday_11, "to_slot": None},
    ]


def test_reschedule_into_a_taken_slot_is_409_with_alternatives_and_changes_nothing(server) -> None:
    with server.client() as client:
        mine = book_ok(client, TUESDAY, "10:00")
        book_ok(client, TUESDAY, "11:00", patient={**PATIENT, "name": "Other Patient"})
        response = reschedule(client, mine, TUESDAY, "11:00")
        assert response.status_code == 409, response.text
        body = response.json()
        assert "already taken" in body["detail"]
        starts = [a["start_time"] for a in body["alternatives"]]
        assert starts and "11:00" not in starts and "10:00" not in starts  # 10:00 is still mine
        after = lookup(client, mine)
        assert without_history(after) == mine
        assert [e["event"] for e in after["history"]] == ["created"]
    assert {(b["start_time"], b["status"]) for b in stored_bookings(server.settings.database_url)} == {
        ("10:00", "confirmed"),
        ("11:00", "confirmed"),
    }


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"confirmation_code": "WRONGCODE"}, 403, "does not match"),
        ({"date": "2026-11-20"}, 400, "in the past"),
        ({"start_time": "08:00"}, 400, "in the past"),  # today, before the clock's 09:00
        ({"start_time": "10:15"}, 404, "no 'consultation' slot at 10:15"),
        ({"date": "2026-02-30"}, 400, "date: must be a real calendar date"),
        ({"start_time": "25:00"}, 400, "start_time: must be a 24-hour time"),
        ({"appointment_type": "massage"}, 400, "appointment_type: must be one of"),
        ({"confirmation_code": ""}, 400, "confirmation_code"),
        ({"extra": 1}, 400, "extra: is not an accepted field"),
    ],
)
def test_reschedule_refusals(client: httpx.Client, change: dict[str, Any], status: int, words: str) -> None:
    made = book_ok(client, TUESDAY, "10:00")
    day = "2026-11-23" if change.get("start_time") == "08:00" else TUESDAY
    body = {"confirmation_code": made["confirmation_code"], "date": day, "start_time": "13:00", **change}
    response = client.post(f"{API}/bookings/{made['booking_id']}/reschedule", json=body)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert without_history(lookup(client, made)) == made  # untouched


def test_reschedule_to_where_the_booking_already_is_changes_nothing(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "10:00")
    response = reschedule(client, made, TUESDAY, "10:00")
    assert response.status_code == 200 and response.json() == made
    assert [e["event"] for e in lookup(client, made)["history"]] == ["created"]


def test_reschedule_of_an_unknown_booking_is_404(client: httpx.Client) -> None:
    response = client.post(
        f"{API}/bookings/APPT-20261124-NOPE/reschedule",
        json={"confirmation_code": "ABCDEFGH", "date": TUESDAY, "start_time": "10:00"},
    )
    assert response.status_code == 404 and "No booking with id" in response.json()["detail"]


def test_reschedule_of_a_cancelled_booking_is_409(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "10:00")
    code = {"confirmation_code": made["confirmation_code"]}
    assert client.post(f"{API}/bookings/{made['booking_id']}/cancel", json=code).status_code == 200
    response = reschedule(client, made, TUESDAY, "13:00")
    assert response.status_code == 409 and "is cancelled" in response.json()["detail"]
    assert "13:00" in free_times(client, TUESDAY)


N = 50


def _free_slots(client: httpx.Client, n: int, skip: tuple[str, str]) -> list[tuple[str, str]]:
    """n free consultation slots from Tuesday on, `skip` left out."""
    found: list[tuple[str, str]] = []
    day = 24
    while len(found) < n:
        date = f"2026-11-{day:02d}" if day <= 30 else f"2026-12-{day - 30:02d}"
        response = client.get(f"{API}/availability", params={"date": date, "appointment_type": "consultation"})
        if response.status_code == 200:
            found += [
                (date, s["start_time"]) for s in response.json()["available_slots"] if (date, s["start_time"]) != skip
            ]
        day += 1
    return found[:n]


async def test_fifty_concurrent_reschedules_into_one_free_slot_give_one_winner(server) -> None:
    target = (TUESDAY, "15:00")
    with server.client() as client:
        slots = _free_slots(client, N, skip=target)
        made = [book_ok(client, d, s, patient={**PATIENT, "name": f"Patient {i}"}) for i, (d, s) in enumerate(slots)]
    limits = httpx.Limits(max_connections=N, max_keepalive_connections=N)
    go = asyncio.Event()

    async def one(client: httpx.AsyncClient, booking: dict[str, Any]) -> httpx.Response:
        await go.wait()
        body = {"confirmation_code": booking["confirmation_code"], "date": target[0], "start_time": target[1]}
        return await client.post(f"{API}/bookings/{booking['booking_id']}/reschedule", json=body)

    async with server.async_client(limits=limits) as client:
        tasks = [asyncio.create_task(one(client, b)) for b in made]
        await asyncio.sleep(0)
        go.set()
        responses = await asyncio.gather(*tasks)
    assert Counter(r.status_code for r in responses) == {200: 1, 409: N - 1}
    winner = next(r.json() for r in responses if r.status_code == 200)
    stored = {b["booking_id"]: (b["date"], b["start_time"]) for b in stored_bookings(server.settings.database_url)}
    for booking in made:
        expected = (
            target
            if booking["booking_id"] == winner["booking_id"]
            else (
                booking["details"]["date"],
                booking["details"]["start_time"],
            )
        )
        assert stored[booking["booking_id"]] == expected
    with server.client() as client:
        assert target[1] not in free_times(client, TUESDAY)
        loser = next(b for b in made if b["booking_id"] != winner["booking_id"])
        assert [e["event"] for e in lookup(client, loser)["history"]] == ["created"]


# --------------------------------------------------------------------------- lookup by code and e-mail


def test_lookup_by_code_and_email_finds_the_booking_with_its_history(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "10:00")
    found = client.post(
        f"{API}/bookings/lookup",
        json={"confirmation_code": f" {made['confirmation_code'].lower()} ", "email": PATIENT["email"].upper()},
    )
    assert found.status_code == 200, found.text
    assert without_history(found.json()) == made
    assert [e["event"] for e in found.json()["history"]] == ["created"]


def test_lookup_does_not_say_which_of_code_and_email_was_wrong(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "10:00")
    answers = [
        client.post(f"{API}/bookings/lookup", json={"confirmation_code": code, "email": email})
        for code, email in (
            (made["confirmation_code"], "someone.else@example.com"),
            ("ZZZZZZZZ", PATIENT["email"]),
            ("ZZZZZZZZ", "someone.else@example.com"),
        )
    ]
    assert {(r.status_code, r.json()["detail"]) for r in answers} == {
        (404, "No booking matches that confirmation code and e-mail.")
    }
    missing = client.post(f"{API}/bookings/lookup", json={"confirmation_code": made["confirmation_code"]})
    assert missing.status_code == 400 and missing.json()["detail"] == "email: is required"
