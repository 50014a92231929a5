"""Appointment types and availability, over real HTTP against a live server.

The clock is frozen at Monday 2026-11-23 09:00 (clinic-local) unless a test says otherwise;
the shipped data/schedule.json opens Monday to Saturday with a 60-day horizon, and
data/slots.json overrides a few dates (2026-12-24 has hand-written slots, 2026-12-25 is {}).
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import httpx
import pytest

from tests.support.calendly import API, availability, book_ok, free_times

TUESDAY = "2026-11-24"


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def test_appointment_types_lists_every_type_with_its_duration(shared_client: httpx.Client) -> None:
    response = shared_client.get(f"{API}/appointment-types")
    assert response.status_code == 200
    types = {t["key"]: t for t in response.json()}
    assert set(types) == {"consultation", "followup", "physical", "specialist"}
    assert {k: t["minutes"] for k, t in types.items()} == {
        "consultation": 30,
        "followup": 15,
        "physical": 45,
        "specialist": 60,
    }
    assert all(t["description"] for t in types.values())


def test_availability_lists_free_slots_in_time_order_with_next_available(shared_client: httpx.Client) -> None:
    response = availability(shared_client, TUESDAY, "consultation")
    assert response.status_code == 200
    body = response.json()
    assert body["date"] == TUESDAY
    assert body["appointment_type"] == "consultation"
    slots = body["available_slots"]
    starts = [s["start_time"] for s in slots]
    # Tuesday consultations: 09:00-12:00 and 13:00-17:00 in 30-minute slots.
    assert starts == "09:00 09:30 10:00 10:30 11:00 11:30 13:00 13:30 14:00 14:30 15:00 15:30 16:00 16:30".split()
    assert all(_minutes(s["end_time"]) - _minutes(s["start_time"]) == 30 for s in slots)
    assert all(s["available"] is True for s in slots)
    assert body["next_available"] == "2026-11-25"


def test_availability_leaves_out_booked_slots(client: httpx.Client) -> None:
    book_ok(client, TUESDAY, "10:00")
    book_ok(client, TUESDAY, "16:30")
    starts = free_times(client, TUESDAY)
    assert "10:00" not in starts and "16:30" not in starts
    assert starts == sorted(starts) and len(starts) == 12
    # Another type on the same day is not affected.
    assert "10:00" in free_times(client, TUESDAY, "followup")


def test_slots_marked_unavailable_in_slots_json_are_not_offered(shared_client: httpx.Client) -> None:
    # data/slots.json: 2026-12-24 consultation 10:00 has "available": false.
    assert free_times(shared_client, "2026-12-24", "consultation") == ["09:00", "09:30", "10:30", "11:00"]
    assert free_times(shared_client, "2026-12-24", "followup") == ["09:00", "09:15", "09:45"]


def test_past_slots_of_today_are_not_offered(live_server) -> None:
    server = live_server(scheduler_now="2026-11-23T10:15:00")  # Monday, mid-morning
    with server.client() as client:
        starts = free_times(client, "2026-11-23", "consultation")
        assert starts[0] == "10:30"
        assert not {"09:00", "09:30", "10:00"} & set(starts)
        assert starts == sorted(starts)
        # A later day is whole.
        assert free_times(client, TUESDAY, "consultation")[0] == "09:00"


def test_slot_starting_exactly_now_is_still_offered(live_server) -> None:
    server = live_server(scheduler_now="2026-11-23T10:00:00")
    with server.client() as client:
        assert free_times(client, "2026-11-23", "consultation")[0] == "10:00"


def test_fully_booked_day_gives_200_with_an_empty_list(client: httpx.Client) -> None:
    day = "2026-12-24"  # three free follow-up slots in data/slots.json
    for start in free_times(client, day, "followup"):
        book_ok(client, day, start, "followup")
    response = availability(client, day, "followup")
    assert response.status_code == 200
    body = response.json()
    assert body["available_slots"] == []
    # 12-25 and 12-26 are closed ({} in slots.json), 12-27 is a Sunday.
    assert body["next_available"] == "2026-12-28"


@pytest.mark.parametrize(
    ("day", "appointment_type", "words", "next_available"),
    [
        pytest.param(
            "2026-11-29",
            "consultation",
            ["Sunday, November 29, 2026", "no schedule", "Monday, November 30, 2026"],
            "2026-11-30",
            id="sunday",
        ),
        pytest.param(
            "2026-12-25",
            "consultation",
            ["Friday, December 25, 2026", "no schedule", "Monday, December 28, 2026"],
            "2026-12-28",
            id="closed-in-slots-json",
        ),
        pytest.param(
            "2026-11-23",
            "specialist",
            ["Monday, November 23, 2026", "no schedule", "Tuesday, November 24, 2026"],
            "2026-11-24",
            id="type-not-on-that-weekday",
        ),
        pytest.param(
            "2026-11-20",
            "consultation",
            ["Friday, November 20, 2026", "in the past", "Monday, November 23, 2026"],
            "2026-11-23",
            id="past-date",
        ),
        pytest.param("2024-01-15", "consultation", ["January 15, 2024", "in the past"], "2026-11-23", id="long-past"),
        pytest.param(
            "2027-01-25", "consultation", ["Monday, January 25, 2027", "no schedule"], None, id="beyond-horizon"
        ),
        pytest.param("9999-12-31", "consultation", ["December 31, 9999", "no schedule"], None, id="last-date-there-is"),
    ],
)
def test_no_schedule_gives_404_with_a_descriptive_message_and_next_available(
    shared_client: httpx.Client, day: str, appointment_type: str, words: list[str], next_available: str | None
) -> None:
    response = availability(shared_client, day, appointment_type)
    assert response.status_code == 404
    body = response.json()
    for word in words:
        assert word in body["detail"]
    assert f"'{appointment_type}'" in body["detail"]
    assert "next_available" in body and body["next_available"] == next_available


@pytest.mark.parametrize(
    ("day", "appointment_type", "closed"),
    [
        ("2026-11-29", "followup", True),  # a Sunday: no type has hours
        ("2026-12-25", "consultation", True),  # closed in slots.json
        ("2026-11-24", "physical", False),  # physicals are not on Tuesdays, the clinic is open
        ("2026-11-23", "specialist", False),
        ("2027-01-25", "consultation", False),  # beyond the horizon: not open yet, not closed
        ("2026-11-20", "consultation", False),  # past
    ],
)
def test_a_day_without_any_schedule_says_the_clinic_is_closed(
    shared_client: httpx.Client, day: str, appointment_type: str, closed: bool
) -> None:
    body = availability(shared_client, day, appointment_type).json()
    assert body.get("clinic_closed", False) is closed
    assert ("the clinic is closed" in body["detail"]) is closed


def test_last_day_of_the_horizon_is_open_and_the_day_after_is_not(shared_client: httpx.Client) -> None:
    last = date(2026, 11, 23) + timedelta(days=60)  # 2027-01-22, a Friday
    assert free_times(shared_client, last.isoformat(), "consultation")
    assert availability(shared_client, (last + timedelta(days=1)).isoformat(), "consultation").status_code == 404


@pytest.mark.parametrize(
    ("params", "field", "more"),
    [
        pytest.param({"appointment_type": "consultation"}, "date", "is required", id="missing-date"),
        pytest.param({"date": TUESDAY}, "appointment_type", "is required", id="missing-type"),
        pytest.param(
            {"date": "2024-13-45", "appointment_type": "consultation"}, "date", "YYYY-MM-DD", id="impossible-date"
        ),
        pytest.param(
            {"date": "tomorrow", "appointment_type": "consultation"}, "date", "YYYY-MM-DD", id="relative-date"
        ),
        pytest.param({"date": "2026-02-30", "appointment_type": "consultation"}, "date", "YYYY-MM-DD", id="feb-30"),
        pytest.param(
            {"date": "24/11/2026", "appointment_type": "consultation"}, "date", "YYYY-MM-DD", id="other-format"
        ),
        pytest.param(
            {"date": TUESDAY, "appointment_type": "dental"},
            "appointment_type",
            "consultation, followup, physical, specialist",
            id="unknown-type",
        ),
        pytest.param({}, "date", "is required", id="nothing"),
    ],
)
def test_bad_availability_query_gives_400_naming_the_field(
    shared_client: httpx.Client, params: dict[str, str], field: str, more: str
) -> None:
    response = shared_client.get(f"{API}/availability", params=params)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert re.search(rf"(^|; ){field}: ", detail), detail
    assert more in detail


def test_type_is_case_insensitive(shared_client: httpx.Client) -> None:
    response = availability(shared_client, TUESDAY, "Consultation")
    assert response.status_code == 200
    assert response.json()["appointment_type"] == "consultation"


# --------------------------------------------------------------------------- broken slot data


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        pytest.param("", "file is empty", id="empty"),
        pytest.param("  \n", "file is empty", id="whitespace"),
        pytest.param('{"2026-11-24": {"consultation": [', "not valid JSON", id="truncated-json"),
        pytest.param('{"2026-11-24": {"consultation": "09:00"}}', "expected a list of slots", id="wrong-shape"),
        pytest.param(
            '{"2026-11-24": {"consultation": [{"start_time": "9am", "end_time": "10:00"}]}}',
            "expected a time",
            id="bad-time",
        ),
        pytest.param('{"next tuesday": {}}', "is not a date", id="bad-date-key"),
    ],
)
def test_unusable_slot_data_gives_500_while_health_answers(live_server, tmp_path, content: str, cause: str) -> None:
    slots = tmp_path / "slots.json"
    slots.write_text(content)
    server = live_server(slots_file=slots)
    with server.client() as client:
        response = availability(client, TUESDAY, "consultation")
        assert response.status_code == 500
        assert response.json()["detail"] == "Failed to fetch availability"
        assert str(slots) not in response.text  # the cause is for the log, not the patient

        health = client.get("/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "slot_data": "unusable"}

        booking = client.post(
            f"{API}/book",
            json={
                "appointment_type": "consultation",
                "date": TUESDAY,
                "start_time": "09:00",
                "patient": {"name": "A", "email": "a@b.co", "phone": "5551234567"},
            },
        )
        assert booking.status_code == 500
        assert booking.json()["detail"] == "Failed to book the appointment"
        # Endpoints that do not need slot data keep working.
        assert client.get(f"{API}/appointment-types").status_code == 200

    logged = server.logs.find("slot data unusable")
    assert logged, server.logs.text()
    assert any(str(slots) in r.getMessage() and cause in r.getMessage() for r in logged), server.logs.text()
    assert logged[0].levelname == "ERROR"


def test_fixing_the_slot_file_recovers_without_a_restart(live_server, tmp_path) -> None:
    slots = tmp_path / "slots.json"
    slots.write_text("{ corrupt")
    server = live_server(slots_file=slots)
    with server.client() as client:
        assert availability(client, TUESDAY).status_code == 500
        slots.write_text(json.dumps({}))
        assert availability(client, TUESDAY).status_code == 200
        assert client.get("/health").json()["slot_data"] == "ok"


# --------------------------------------------------------------------------- the original seed format

SEED_SLOTS = """\
{
  "2024-01-15": {
    "consultation": [
      {"start_time": "09:00", "end_time": "09:30", "available": true},
      {"start_time": "09:30", "end_time": "10:00", "available": false},
      {"start_time": "10:00", "end_time": "10:30", "available": true},
      {"start_time": "11:00", "end_time": "11:30", "available": true}
    ],
    "followup": [
      {"start_time": "13:00", "end_time": "13:30", "available": true},
      {"start_time": "14:00", "end_time": "14:30", "available": false}
    ]
  }
}
"""


@pytest.fixture(params=["seed-file", "shipped-file"])
def seed_server(request, live_server, tmp_path):
    """A server on the original service's slots.json, its clock on the morning of 2024-01-15."""
    if request.param == "seed-file":
        slots = tmp_path / "slots.json"
        slots.write_text(SEED_SLOTS)
        return live_server(slots_file=slots, scheduler_now="2024-01-15T08:00:00")
    return live_server(scheduler_now="2024-01-15T08:00:00")  # data/slots.json keeps the seed date


def test_seed_format_loads_unchanged_and_unavailable_slots_are_not_offered(seed_server) -> None:
    with seed_server.client() as client:
        assert client.get("/health").json()["slot_data"] == "ok"
        response = availability(client, "2024-01-15", "consultation")
        assert response.status_code == 200
        assert response.json()["available_slots"] == [
            {"start_time": "09:00", "end_time": "09:30", "available": True},
            {"start_time": "10:00", "end_time": "10:30", "available": True},
            {"start_time": "11:00", "end_time": "11:30", "available": True},
        ]
        assert free_times(client, "2024-01-15", "followup") == ["13:00"]
        # A type the seed date does not list has no schedule that day.
        assert availability(client, "2024-01-15", "physical").status_code == 404
