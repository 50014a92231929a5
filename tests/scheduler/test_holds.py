"""Slot holds over real HTTP: a held slot is neither offered nor bookable but with its hold_id,
expires by itself after HOLD_MINUTES on the clinic clock, and lives in the database (so it
holds across server processes and restarts).

The clinic clock is frozen at Monday 2026-11-23 09:00; "time passes" by restarting a server
with a later SCHEDULER_NOW, never by sleeping.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.calendly import API, PATIENT, book, book_ok, booking_body, free_times

TUESDAY = "2026-11-24"


def hold(
    client: httpx.Client, start: str, date: str = TUESDAY, appointment_type: str = "consultation"
) -> httpx.Response:
    return client.post(f"{API}/holds", json={"appointment_type": appointment_type, "date": date, "start_time": start})


def hold_ok(client: httpx.Client, start: str, **kw: Any) -> dict[str, Any]:
    response = hold(client, start, **kw)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_hold_is_201_and_expires_hold_minutes_later(client: httpx.Client) -> None:
    held = hold_ok(client, "10:00")
    assert held["hold_id"].startswith("HOLD-")
    assert held["expires_at"] == "2026-11-23T09:05:00-05:00"  # HOLD_MINUTES=5 after the clinic clock's 09:00
    assert (held["appointment_type"], held["date"], held["start_time"]) == ("consultation", TUESDAY, "10:00")


def test_hold_minutes_is_a_setting(live_server) -> None:
    with live_server(hold_minutes=12).client() as client:
        assert hold_ok(client, "10:00")["expires_at"] == "2026-11-23T09:12:00-05:00"


def test_a_held_slot_is_not_offered_and_not_bookable_without_its_hold_id(client: httpx.Client) -> None:
    before = free_times(client, TUESDAY)  # cached now: the hold must still show at once
    held = hold_ok(client, "10:00")
    assert free_times(client, TUESDAY) == [s for s in before if s != "10:00"]
    for hold_id in (None, "HOLD-NOT-THIS-ONE"):
        extra = {"hold_id": hold_id} if hold_id else {}
        refused = book(client, TUESDAY, "10:00", **extra)
        assert refused.status_code == 409, refused.text
        assert "held for another patient" in refused.json()["detail"]
        assert "10:00" not in [a["start_time"] for a in refused.json()["alternatives"]]
    made = book(client, TUESDAY, "10:00", hold_id=held["hold_id"])
    assert made.status_code == 201, made.text
    # The hold is used up: releasing it now is a 404, and the slot stays booked.
    assert client.delete(f"{API}/holds/{held['hold_id']}").status_code == 404
    assert "10:00" not in free_times(client, TUESDAY)


def test_a_booking_with_the_hold_id_of_another_slot_is_refused_on_a_held_slot(client: httpx.Client) -> None:
    mine = hold_ok(client, "11:00")
    hold_ok(client, "10:00")  # somebody else's
    assert book(client, TUESDAY, "10:00", hold_id=mine["hold_id"]).status_code == 409


def test_reschedule_into_a_held_slot_needs_its_hold_id(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "13:00")
    held = hold_ok(client, "14:00")
    url = f"{API}/bookings/{made['booking_id']}/reschedule"
    move = {"confirmation_code": made["confirmation_code"], "date": TUESDAY, "start_time": "14:00"}
    refused = client.post(url, json=move)
    assert refused.status_code == 409 and "held for another patient" in refused.json()["detail"]
    moved = client.post(url, json={**move, "hold_id": held["hold_id"]})
    assert moved.status_code == 200 and moved.json()["details"]["start_time"] == "14:00"
    assert "13:00" in free_times(client, TUESDAY) and "14:00" not in free_times(client, TUESDAY)


def test_holding_a_taken_or_held_slot_is_409(client: httpx.Client) -> None:
    book_ok(client, TUESDAY, "10:00")
    taken = hold(client, "10:00")
    assert taken.status_code == 409 and "already taken" in taken.json()["detail"]
    hold_ok(client, "11:00")
    held = hold(client, "11:00")
    assert held.status_code == 409 and "held for another patient" in held.json()["detail"]
    assert "11:00" not in [a["start_time"] for a in held.json()["alternatives"]]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"start_time": "10:15"}, 404, "no 'consultation' slot at 10:15"),
        ({"date": "2026-11-20"}, 400, "in the past"),
        ({"date": "2026-11-23", "start_time": "08:30"}, 400, "in the past"),
        ({"date": "24/11/2026"}, 400, "date: must be a real calendar date"),
        ({"start_time": "9am"}, 400, "start_time: must be a 24-hour time"),
        ({"appointment_type": "x"}, 400, "appointment_type: must be one of"),
        ({"patient": PATIENT}, 400, "patient: is not an accepted field"),
    ],
)
def test_hold_refusals(shared_live_server, body: dict[str, Any], status: int, words: str) -> None:
    request = {"appointment_type": "consultation", "date": TUESDAY, "start_time": "10:00", **body}
    with shared_live_server.client() as client:
        response = client.post(f"{API}/holds", json=request)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


def test_a_released_hold_frees_the_slot_at_once(client: httpx.Client) -> None:
    held = hold_ok(client, "10:00")
    assert "10:00" not in free_times(client, TUESDAY)
    released = client.delete(f"{API}/holds/{held['hold_id']}")
    assert released.status_code == 204 and released.content == b""
    assert "10:00" in free_times(client, TUESDAY)
    assert client.delete(f"{API}/holds/{held['hold_id']}").status_code == 404
    assert client.delete(f"{API}/holds/HOLD-UNKNOWN").status_code == 404
    assert book(client, TUESDAY, "10:00").status_code == 201


def test_a_hold_blocks_another_process_and_expires_on_time(serve_process, database_url) -> None:
    first = serve_process("first", database_url=database_url)
    second = serve_process("second", database_url=database_url)
    with first.client() as client:
        held = hold_ok(client, "10:00")
    with second.client() as client:
        assert "10:00" not in free_times(client, TUESDAY)
        refused = book(client, TUESDAY, "10:00")
        assert refused.status_code == 409 and "held for another patient" in refused.json()["detail"]
        assert hold(client, "10:00").status_code == 409
    # A restart does not lose it; one second before it expires it still holds.
    second.env["SCHEDULER_NOW"] = "2026-11-23T09:04:59"
    second.restart()
    with second.client() as client:
        assert "10:00" not in free_times(client, TUESDAY)
        assert book(client, TUESDAY, "10:00").status_code == 409
    # At expires_at it is gone by itself: offered and bookable by anyone.
    second.env["SCHEDULER_NOW"] = "2026-11-23T09:05:00"
    second.restart()
    with second.client() as client:
        assert "10:00" in free_times(client, TUESDAY)
        made = client.post(f"{API}/book", json=booking_body(TUESDAY, "10:00", patient={**PATIENT, "name": "B"}))
        assert made.status_code == 201, made.text
    # The first patient, late, learns the slot went (with alternatives), hold_id or not.
    with first.client() as client:
        late = book(client, TUESDAY, "10:00", hold_id=held["hold_id"])
        assert late.status_code == 409 and "already taken" in late.json()["detail"]
        assert late.json()["alternatives"]


def test_an_expired_hold_id_still_books_a_slot_nobody_took(live_server, database_url) -> None:
    with live_server(database_url=database_url).client() as client:
        held = hold_ok(client, "10:00")
    with live_server(database_url=database_url, scheduler_now="2026-11-23T09:30:00").client() as client:
        assert book(client, TUESDAY, "10:00", hold_id=held["hold_id"]).status_code == 201
        # The expired hold does not block a new one on another slot, nor on this one once free.
        assert hold(client, "11:00").status_code == 201


def test_an_expired_hold_is_replaced_by_a_new_hold_on_its_slot(live_server, database_url) -> None:
    with live_server(database_url=database_url).client() as client:
        old = hold_ok(client, "10:00")
    with live_server(database_url=database_url, scheduler_now="2026-11-23T09:06:00").client() as client:
        new = hold_ok(client, "10:00")
        assert new["hold_id"] != old["hold_id"] and new["expires_at"] == "2026-11-23T09:11:00-05:00"
        assert book(client, TUESDAY, "10:00", hold_id=old["hold_id"]).status_code == 409
        assert book(client, TUESDAY, "10:00", hold_id=new["hold_id"]).status_code == 201
