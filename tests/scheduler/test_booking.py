"""Booking, looking up and cancelling, over real HTTP against a live server.

Clock frozen at Monday 2026-11-23 09:00 (clinic-local); see test_calendly_availability.py.
"""

from __future__ import annotations

import re
import socket
import time

import httpx
import pytest

from tests.support.calendly import (
    API,
    PATIENT,
    book,
    book_ok,
    booking_body,
    free_times,
    query,
    stored_bookings,
    without_history,
)

TUESDAY = "2026-11-24"


# --------------------------------------------------------------------------- 201


def test_booking_a_free_slot_gives_201_with_id_code_and_the_details(server, client: httpx.Client) -> None:
    response = client.post(
        f"{API}/book",
        json=booking_body(TUESDAY, "10:30", "consultation", reason="Persistent cough"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["booking_id"]
    assert re.fullmatch(r"[A-Z2-9]{8}", body["confirmation_code"])
    assert body["details"] == {
        "appointment_type": "consultation",
        "date": TUESDAY,
        "start_time": "10:30",
        "end_time": "11:00",
        "patient": PATIENT,
        "reason": "Persistent cough",
    }
    # Stored as answered.
    (row,) = stored_bookings(server.settings.database_url)
    assert row["booking_id"] == body["booking_id"]
    assert row["status"] == "confirmed"
    assert (row["date"], row["start_time"], row["patient_email"]) == (TUESDAY, "10:30", PATIENT["email"])


def test_end_time_follows_the_type_duration(client: httpx.Client) -> None:
    assert book_ok(client, TUESDAY, "08:30", "followup")["details"]["end_time"] == "08:45"
    assert book_ok(client, TUESDAY, "10:00", "specialist")["details"]["end_time"] == "11:00"
    assert book_ok(client, "2026-11-25", "09:45", "physical")["details"]["end_time"] == "10:30"


def test_booking_ids_and_codes_are_unique(client: httpx.Client) -> None:
    bookings = [book_ok(client, TUESDAY, start) for start in ("09:00", "09:30", "10:00", "13:00", "13:30", "14:00")]
    bookings += [book_ok(client, TUESDAY, start, "followup") for start in ("09:00", "09:15", "09:30")]
    assert len({b["booking_id"] for b in bookings}) == len(bookings)
    assert len({b["confirmation_code"] for b in bookings}) == len(bookings)


def test_patient_fields_are_trimmed(client: httpx.Client) -> None:
    body = book_ok(
        client,
        TUESDAY,
        "09:00",
        patient={"name": "  Jane   Roe ", "email": " jane@example.com ", "phone": " 555-123-4567 "},
    )
    assert body["details"]["patient"] == {"name": "Jane Roe", "email": "jane@example.com", "phone": "555-123-4567"}


# --------------------------------------------------------------------------- 409


def test_taken_slot_gives_409_with_up_to_three_alternatives_that_day(client: httpx.Client) -> None:
    first = book_ok(client, TUESDAY, "10:00")
    response = book(client, TUESDAY, "10:00", patient={**PATIENT, "name": "John Doe"})
    assert response.status_code == 409
    body = response.json()
    assert "already taken" in body["detail"] and "10:00" in body["detail"]
    alternatives = body["alternatives"]
    assert 1 <= len(alternatives) <= 3
    starts = [a["start_time"] for a in alternatives]
    assert "10:00" not in starts
    assert starts == sorted(starts)
    assert set(starts) <= set(free_times(client, TUESDAY))  # free, and on that day
    assert {"09:30", "10:30"} <= set(starts)  # the nearest ones
    assert all(a["available"] is True and a["end_time"] > a["start_time"] for a in alternatives)
    for start in starts:
        assert start in body["detail"]
    # The first booking is untouched.
    got = client.get(f"{API}/bookings/{first['booking_id']}", params={"confirmation_code": first["confirmation_code"]})
    assert got.json()["details"]["patient"]["name"] == "Jane Roe"


def test_409_lists_fewer_alternatives_when_fewer_are_free(client: httpx.Client) -> None:
    day = "2026-12-24"  # follow-ups there: 09:00, 09:15, 09:45 free (09:30 unavailable)
    book_ok(client, day, "09:00", "followup")
    book_ok(client, day, "09:45", "followup")
    response = book(client, day, "09:00", "followup")
    assert response.status_code == 409
    assert [a["start_time"] for a in response.json()["alternatives"]] == ["09:15"]

    book_ok(client, day, "09:15", "followup")
    response = book(client, day, "09:15", "followup")
    assert response.status_code == 409
    assert response.json()["alternatives"] == []
    assert "No other slots are free that day" in response.json()["detail"]


def test_slot_marked_unavailable_in_slots_json_gives_409(client: httpx.Client) -> None:
    response = book(client, "2026-12-24", "10:00")  # "available": false in data/slots.json
    assert response.status_code == 409
    # The nearest free ones: 09:30 and 10:30, then 09:00 (before 11:00 at the same distance).
    assert [a["start_time"] for a in response.json()["alternatives"]] == ["09:00", "09:30", "10:30"]


SEED_SLOTS = {
    "2024-01-15": {
        "consultation": [
            {"start_time": "09:00", "end_time": "09:30", "available": True},
            {"start_time": "09:30", "end_time": "10:00", "available": False},
            {"start_time": "10:00", "end_time": "10:30", "available": True},
            {"start_time": "11:00", "end_time": "11:30", "available": True},
        ],
        "followup": [
            {"start_time": "13:00", "end_time": "13:30", "available": True},
            {"start_time": "14:00", "end_time": "14:30", "available": False},
        ],
    }
}


def test_seed_format_unavailable_slot_gives_409_and_available_one_books(live_server, tmp_path) -> None:
    import json

    slots = tmp_path / "slots.json"
    slots.write_text(json.dumps(SEED_SLOTS, indent=2))
    server = live_server(slots_file=slots, scheduler_now="2024-01-15T08:00:00")
    with server.client() as client:
        taken = book(client, "2024-01-15", "09:30")
        assert taken.status_code == 409
        assert [a["start_time"] for a in taken.json()["alternatives"]] == ["09:00", "10:00", "11:00"]
        assert book(client, "2024-01-15", "14:00", "followup").status_code == 409
        booked = book_ok(client, "2024-01-15", "13:00", "followup")
        assert booked["details"]["end_time"] == "13:30"  # the seed's own end time
        assert free_times(client, "2024-01-15", "followup") == []


# --------------------------------------------------------------------------- 404


@pytest.mark.parametrize(
    ("day", "start", "appointment_type"),
    [
        pytest.param(TUESDAY, "09:15", "consultation", id="off-the-grid"),
        pytest.param(TUESDAY, "12:00", "consultation", id="lunch-break"),
        pytest.param(TUESDAY, "09:00", "physical", id="type-not-on-that-weekday"),
        pytest.param("2026-11-29", "10:00", "consultation", id="sunday"),
        pytest.param("2026-12-25", "09:00", "consultation", id="closed-in-slots-json"),
        pytest.param("2027-03-01", "09:00", "consultation", id="beyond-horizon"),
    ],
)
def test_booking_a_slot_that_does_not_exist_gives_404(
    shared_client: httpx.Client, day: str, start: str, appointment_type: str
) -> None:
    response = book(shared_client, day, start, appointment_type)
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert start in detail and f"'{appointment_type}'" in detail


# --------------------------------------------------------------------------- 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"date": "2026-11-20"}, "start_time", id="past-day"),
        pytest.param(
            {"date": "2026-11-23", "start_time": "08:30", "appointment_type": "followup"},
            "start_time",
            id="earlier-today",
        ),
        pytest.param({"patient": {**PATIENT, "email": "jane.roe.example.com"}}, "patient.email", id="email-no-at"),
        pytest.param({"patient": {**PATIENT, "email": "jane@example"}}, "patient.email", id="email-no-tld"),
        pytest.param({"patient": {**PATIENT, "email": ""}}, "patient.email", id="email-empty"),
        pytest.param({"patient": {**PATIENT, "phone": "call me"}}, "patient.phone", id="phone-letters"),
        pytest.param({"patient": {**PATIENT, "phone": "12345"}}, "patient.phone", id="phone-too-short"),
        pytest.param({"patient": {**PATIENT, "phone": "1" * 20}}, "patient.phone", id="phone-too-long"),
        pytest.param({"patient": {**PATIENT, "name": ""}}, "patient.name", id="name-empty"),
        pytest.param({"patient": {**PATIENT, "name": "   "}}, "patient.name", id="name-blank"),
        pytest.param(
            {"patient": {"email": PATIENT["email"], "phone": PATIENT["phone"]}}, "patient.name", id="name-missing"
        ),
        pytest.param({"patient": None}, "patient", id="patient-null"),
        pytest.param({"date": "2026-13-01"}, "date", id="date-impossible"),
        pytest.param({"date": "next tuesday"}, "date", id="date-words"),
        pytest.param({"start_time": "9am"}, "start_time", id="time-words"),
        pytest.param({"start_time": "25:00"}, "start_time", id="time-impossible"),
        pytest.param({"appointment_type": "dental"}, "appointment_type", id="type-unknown"),
        pytest.param({"reason": "x" * 501}, "reason", id="reason-too-long"),
        pytest.param({"priority": "high"}, "priority", id="unknown-field"),
    ],
)
def test_bad_booking_gives_400_naming_the_field(shared_client: httpx.Client, change: dict, field: str) -> None:
    body = {**booking_body(TUESDAY, "09:00"), **change}
    response = shared_client.post(f"{API}/book", json=body)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert re.search(rf"(^|; ){re.escape(field)}: ", detail) or detail.startswith(f"{field}:"), detail
    # Nothing was booked by a refused request.
    assert "09:00" in free_times(shared_client, TUESDAY)


@pytest.mark.parametrize("missing", ["appointment_type", "date", "start_time", "patient"])
def test_missing_booking_field_gives_400_naming_it(shared_client: httpx.Client, missing: str) -> None:
    body = booking_body(TUESDAY, "09:00")
    del body[missing]
    response = shared_client.post(f"{API}/book", json=body)
    assert response.status_code == 400
    assert response.json()["detail"] == f"{missing}: is required"


@pytest.mark.parametrize(
    ("content", "headers", "expected"),
    [
        pytest.param(
            b"this is not json", {"content-type": "application/json"}, "body: is not valid JSON", id="garbage"
        ),
        pytest.param(
            b'{"date": "2026-11-24",', {"content-type": "application/json"}, "body: is not valid JSON", id="truncated"
        ),
        pytest.param(b"[1, 2]", {"content-type": "application/json"}, "body: must be a JSON object", id="array"),
        pytest.param(b"date=2026-11-24", {"content-type": "application/x-www-form-urlencoded"}, "body:", id="form"),
        pytest.param(b"", {"content-type": "application/json"}, "body", id="empty"),
    ],
)
def test_non_json_body_gives_400_naming_the_body(
    shared_client: httpx.Client, content: bytes, headers: dict, expected: str
) -> None:
    response = shared_client.post(f"{API}/book", content=content, headers=headers)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(expected), response.text


# --------------------------------------------------------------------------- lookup and cancel


def test_get_booking_with_its_code(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "11:00")
    url = f"{API}/bookings/{made['booking_id']}"
    response = client.get(url, params={"confirmation_code": made["confirmation_code"]})
    assert response.status_code == 200
    assert without_history(response.json()) == made
    assert [e["event"] for e in response.json()["history"]] == ["created"]
    # The code is read out over the phone: case and surrounding spaces don't matter.
    assert client.get(url, params={"confirmation_code": f" {made['confirmation_code'].lower()} "}).status_code == 200


@pytest.mark.parametrize("code", [None, "", "WRONGCOD", "x" * 64], ids=["missing", "empty", "wrong", "long-wrong"])
def test_get_booking_with_a_missing_or_wrong_code_gives_403(client: httpx.Client, code: str | None) -> None:
    made = book_ok(client, TUESDAY, "11:00")
    params = {} if code is None else {"confirmation_code": code}
    response = client.get(f"{API}/bookings/{made['booking_id']}", params=params)
    assert response.status_code == 403
    assert "confirmation code" in response.json()["detail"]
    assert PATIENT["email"] not in response.text


def test_get_unknown_booking_gives_404(shared_client: httpx.Client) -> None:
    response = shared_client.get(f"{API}/bookings/APPT-20261124-DEADBEEF", params={"confirmation_code": "ABCDEFGH"})
    assert response.status_code == 404
    assert "APPT-20261124-DEADBEEF" in response.json()["detail"]


def test_cancel_frees_the_slot_which_can_be_booked_again(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "14:00")
    assert "14:00" not in free_times(client, TUESDAY)

    response = client.post(
        f"{API}/bookings/{made['booking_id']}/cancel", json={"confirmation_code": made["confirmation_code"]}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["booking_id"] == made["booking_id"]

    assert "14:00" in free_times(client, TUESDAY)
    again = book_ok(client, TUESDAY, "14:00", patient={**PATIENT, "name": "John Doe"})
    assert again["booking_id"] != made["booking_id"]
    assert "14:00" not in free_times(client, TUESDAY)

    # The cancelled booking is still there for its holder, marked cancelled.
    old = client.get(f"{API}/bookings/{made['booking_id']}", params={"confirmation_code": made["confirmation_code"]})
    assert old.status_code == 200 and old.json()["status"] == "cancelled"


def test_cancelling_twice_gives_409(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "14:30")
    url = f"{API}/bookings/{made['booking_id']}/cancel"
    assert client.post(url, json={"confirmation_code": made["confirmation_code"]}).status_code == 200
    response = client.post(url, json={"confirmation_code": made["confirmation_code"]})
    assert response.status_code == 409
    assert "already cancelled" in response.json()["detail"]


def test_cancelling_a_rebooked_slot_s_old_booking_does_not_free_it(client: httpx.Client) -> None:
    old = book_ok(client, TUESDAY, "15:00")
    client.post(f"{API}/bookings/{old['booking_id']}/cancel", json={"confirmation_code": old["confirmation_code"]})
    book_ok(client, TUESDAY, "15:00")
    again = client.post(
        f"{API}/bookings/{old['booking_id']}/cancel", json={"confirmation_code": old["confirmation_code"]}
    )
    assert again.status_code == 409
    assert "15:00" not in free_times(client, TUESDAY)


def test_cancel_with_a_wrong_code_gives_403_and_keeps_the_booking(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "15:30")
    response = client.post(f"{API}/bookings/{made['booking_id']}/cancel", json={"confirmation_code": "WRONGCOD"})
    assert response.status_code == 403
    assert "15:30" not in free_times(client, TUESDAY)
    got = client.get(f"{API}/bookings/{made['booking_id']}", params={"confirmation_code": made["confirmation_code"]})
    assert got.json()["status"] == "confirmed"


def test_cancel_without_a_code_gives_400_and_unknown_booking_404(client: httpx.Client) -> None:
    made = book_ok(client, TUESDAY, "16:00")
    response = client.post(f"{API}/bookings/{made['booking_id']}/cancel", json={})
    assert response.status_code == 400
    assert response.json()["detail"] == "confirmation_code: is required"
    unknown = client.post(f"{API}/bookings/APPT-NOPE/cancel", json={"confirmation_code": "ABCDEFGH"})
    assert unknown.status_code == 404


# --------------------------------------------------------------------------- confirmation notice


def test_confirmation_notice_is_written_after_the_response(server, client: httpx.Client) -> None:
    """No SMTP_URL: the notice is an .eml file in OUTBOX_DIR, logged with its path only."""
    response = client.post(f"{API}/book", json=booking_body(TUESDAY, "09:00"))
    assert response.status_code == 201
    booking_id = response.json()["booking_id"]
    assert server.logs.find("booking confirmed", booking_id=booking_id)

    notice = server.logs.wait_for("notice sent", booking_id=booking_id)
    assert (notice.to, notice.kind, notice.sequence, notice.levelname) == ("j***@example.com", "created", 0, "INFO")
    written = server.logs.wait_for("notice written to file")
    assert written.path == str(server.settings.outbox_dir / f"{booking_id}-0-created.eml")
    assert (server.settings.outbox_dir / f"{booking_id}-0-created.eml").is_file()
    messages = server.logs.messages()
    assert messages.index("booking confirmed") < messages.index("notice sent")


def test_stopping_the_server_with_a_pending_notice_is_clean(live_server, tmp_path) -> None:
    """A notice that cannot go out yet (no mail server listening) stays in the outbox."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # bound, never listening: connections are refused
        server = live_server(smtp_url=f"smtp://127.0.0.1:{closed}", outbox_retry_seconds=30)
        with server.client() as client:
            assert book(client, TUESDAY, "09:00").status_code == 201
        server.logs.wait_for("notice delivery failed")
        started = time.monotonic()
        server.stop()
    assert not server.running
    assert time.monotonic() - started < 10  # not waiting out the 30 s retry
    assert not server.logs.find("notice sent")
    assert not [r for r in server.logs.snapshot() if r.levelname in ("ERROR", "CRITICAL")], server.logs.text()
    outbox = query(server.settings.database_url, "SELECT kind, attempts, sent_at FROM outbox")
    assert outbox == [{"kind": "created", "attempts": 1, "sent_at": None}]


def test_confirmation_codes_mix_letters_and_digits() -> None:
    """A patient types the code among words ("my booking ABCDEFGH"): a code of letters only,
    1 in 10 of the plain draws, would read as a word to the offline model."""
    from scheduler.rules import _CODE_ALPHABET, new_confirmation_code

    codes = {new_confirmation_code() for _ in range(2000)}
    assert len(codes) > 1990  # still random
    for code in codes:
        assert len(code) == 8 and set(code) <= set(_CODE_ALPHABET)
        assert any(c.isdigit() for c in code) and any(c.isalpha() for c in code), code
