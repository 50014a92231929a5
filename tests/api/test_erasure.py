"""Forgetting really erases: after `DELETE /api/chat/{id}` the conversation's text, and after
`POST /api/calendly/bookings/{id}/forget` the patient's data, are in neither SQLite file (the
database and its WAL), read as raw bytes; the slot record of a forgotten booking stays."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx

from agent.checkpoints import checkpoint_path
from scheduler.store import sqlite_path
from tests.conftest import LiveServerFactory
from tests.support.calendly import API, book_ok, booking_body, free_times, stored_bookings
from tests.support.servers import LiveServer

NAME, EMAIL, PHONE = "Zebulon Quixotefield", "zebulon.q@example.org", "+44 20 7946 0958"
PATIENT = {"name": NAME, "email": EMAIL, "phone": PHONE}
TUESDAY = "2026-11-24"


def raw_bytes(db: Path) -> bytes:
    """The database file and its WAL as they are on disk."""
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def session_of(stream: httpx.Response) -> str:
    lines = [line[6:] for line in stream.text.splitlines() if line.startswith("data: ")]
    return str(next(json.loads(d)["session_id"] for d in lines if json.loads(d)["type"] == "session"))


def test_deleting_a_conversation_leaves_its_text_in_neither_file(server: LiveServer, client: httpx.Client) -> None:
    db = Path(str(checkpoint_path(server.settings)))
    first = client.post("/api/chat", json={"message": f"Hello, I am {NAME}, a consultation please"})
    session_id = session_of(first)
    client.post("/api/chat", json={"session_id": session_id, "message": f"my e-mail is {EMAIL}"})
    other = session_of(client.post("/api/chat", json={"message": "Hello, I am Ada Byron-Smith"}))
    assert NAME.encode() in raw_bytes(db) and EMAIL.encode() in raw_bytes(db), "it was written"

    assert client.delete(f"/api/chat/{session_id}").status_code == 204

    stored = raw_bytes(db)
    assert NAME.encode() not in stored and b"Quixotefield" not in stored
    assert EMAIL.encode() not in stored
    assert session_id.encode() not in stored
    assert db.with_name(db.name + "-wal").stat().st_size == 0, "the WAL was checkpointed and truncated"
    assert client.get(f"/api/chat/{session_id}").status_code == 404
    assert "Ada Byron-Smith" in json.dumps(client.get(f"/api/chat/{other}").json()), "other sessions untouched"


def test_forgetting_a_booking_erases_the_patients_data_and_keeps_the_slot_record(
    server: LiveServer, client: httpx.Client
) -> None:
    db = sqlite_path(server.settings.database_url)
    body = booking_body(TUESDAY, "09:00", patient=PATIENT, reason="Quixotic knee pain")
    made = client.post(f"{API}/book", json=body, headers={"Idempotency-Key": "erase-me-1"})
    assert made.status_code == 201, made.text
    booking = made.json()  # its replayable answer (the Idempotency-Key) repeats the patient's data
    ada = {"name": "Ada Byron-Smith", "email": "ada@example.net", "phone": "+1 555 000 1111"}
    kept = book_ok(client, TUESDAY, "09:30", patient=ada)
    assert NAME.encode() in raw_bytes(db), "it was written"
    booking_id, code = booking["booking_id"], booking["confirmation_code"]

    wrong = client.post(f"{API}/bookings/{booking_id}/forget", json={"confirmation_code": "WRONGCODE"})
    assert (wrong.status_code, wrong.json()) == (403, {"detail": "The confirmation code does not match this booking."})
    unknown = client.post(f"{API}/bookings/APPT-NOPE/forget", json={"confirmation_code": code})
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "No booking with id 'APPT-NOPE'."})

    response = client.post(f"{API}/bookings/{booking_id}/forget", json={"confirmation_code": code.lower()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["booking_id"] == booking_id and body["status"] == "cancelled"
    assert (body["date"], body["start_time"], body["end_time"]) == (TUESDAY, "09:00", "09:30")
    assert body["forgotten_at"]

    stored = raw_bytes(db)
    for secret in (NAME, "Quixotefield", EMAIL, PHONE, "Quixotic knee pain"):
        assert secret.encode() not in stored, secret
    assert b"Ada Byron-Smith" in stored, "other bookings untouched"
    rows = {row["booking_id"]: row for row in stored_bookings(server.settings.database_url)}
    row = rows[booking_id]
    assert (row["patient_name"], row["patient_email"], row["patient_phone"], row["reason"]) == ("", "", "", None)
    assert (row["date"], row["start_time"], row["status"]) == (TUESDAY, "09:00", "cancelled")
    assert rows[kept["booking_id"]]["patient_name"] == "Ada Byron-Smith"
    assert "09:00" in free_times(client, TUESDAY), "the slot is free again"

    gone = f"Booking {booking_id} was erased at the patient's request."
    again = client.post(f"{API}/bookings/{booking_id}/forget", json={"confirmation_code": code})
    assert (again.status_code, again.json()) == (410, {"detail": gone})
    lookup = client.get(f"{API}/bookings/{booking_id}", params={"confirmation_code": code})
    assert (lookup.status_code, lookup.json()) == (410, {"detail": gone})
    cancel = client.post(f"{API}/bookings/{booking_id}/cancel", json={"confirmation_code": code})
    assert (cancel.status_code, cancel.json()) == (410, {"detail": gone})


def test_a_reader_holding_old_frames_delays_the_erasure_and_it_is_logged(live_server: LiveServerFactory) -> None:
    """Another connection in the middle of a read (another process, a backup) keeps the WAL's
    old frames: the booking is still forgotten at once, the warning says the rest waits for the
    next checkpoint, and that checkpoint (here: the next forget) erases them."""
    server = live_server(database_busy_seconds=0.2)
    db = sqlite_path(server.settings.database_url)
    with server.client() as client:
        first = book_ok(client, TUESDAY, "09:00", patient=PATIENT)
        second = book_ok(client, TUESDAY, "10:00", patient={**PATIENT, "name": "Ada Byron-Smith"})
        reader = sqlite3.connect(db)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM bookings").fetchone()  # holds a snapshot
            forget = {"confirmation_code": first["confirmation_code"]}
            assert client.post(f"{API}/bookings/{first['booking_id']}/forget", json=forget).status_code == 200
        finally:
            reader.close()
        assert server.logs.find("booking forgotten; a reader kept old WAL frames until the next checkpoint")
        assert NAME.encode() in raw_bytes(db), "still in the WAL while the reader held it"
        forget = {"confirmation_code": second["confirmation_code"]}
        assert client.post(f"{API}/bookings/{second['booking_id']}/forget", json=forget).status_code == 200
    stored = raw_bytes(db)
    assert NAME.encode() not in stored and b"Ada Byron-Smith" not in stored
