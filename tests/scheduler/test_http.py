"""Cross-cutting HTTP behaviour: request ids, CORS, and patient data kept out of the logs."""

from __future__ import annotations

import re

import pytest

from tests.support.calendly import API, PATIENT, booking_body
from tests.support.servers import wait_until

TUESDAY = "2026-11-24"
LOCAL_ORIGIN = "http://localhost:5173"
EVIL_ORIGIN = "http://evil.example"


@pytest.fixture
def server(shared_live_server):
    """These tests book nothing: one server for the module."""
    return shared_live_server


# --------------------------------------------------------------------------- request id


def test_every_response_carries_a_request_id(server) -> None:
    with server.client() as client:
        responses = [
            client.get("/health"),
            client.get(f"{API}/availability", params={"date": TUESDAY, "appointment_type": "consultation"}),
            client.get(f"{API}/availability", params={"date": "tomorrow", "appointment_type": "consultation"}),
            client.get(f"{API}/bookings/NOPE", params={"confirmation_code": "X"}),
            client.get("/no/such/route"),
        ]
    assert [r.status_code for r in responses] == [200, 200, 400, 404, 404]
    ids = [r.headers.get("x-request-id") for r in responses]
    assert all(i and re.fullmatch(r"[0-9a-f]{16}", i) for i in ids), ids
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("incoming", ["abc-123", "req.2026_11_24-XYZ", "a" * 64])
def test_a_sane_incoming_request_id_is_echoed_and_logged(server, incoming: str) -> None:
    with server.client() as client:
        response = client.post("/api/calendly/book", json={}, headers={"X-Request-ID": incoming})
    assert response.status_code == 400 and response.headers["x-request-id"] == incoming
    # The access line is written once the response is out: wait for it.
    logged = wait_until(
        lambda: [
            r for r in server.logs.find("POST /api/calendly/book 400") if f'"request_id": "{incoming}"' in r.json_line
        ],
        what=f"the access line of request {incoming}",
    )
    assert logged[0].levelname == "INFO"


def test_successful_reads_are_logged_at_debug_only(server) -> None:
    marker = "read-at-debug"
    with server.client() as client:
        assert client.get("/health", headers={"X-Request-ID": marker}).status_code == 200
        assert client.post("/api/calendly/book", json={}, headers={"X-Request-ID": marker + "-2"}).status_code == 400
    wait_until(lambda: server.logs.find("POST /api/calendly/book 400"), what="the POST's access line")
    assert not [r for r in server.logs.find("GET /health 200") if marker + '"' in r.json_line]


@pytest.mark.parametrize("incoming", ["", "has spaces", "a" * 65, "semi;colon", "line\\nbreak", "<script>"])
def test_an_insane_incoming_request_id_is_replaced(server, incoming: str) -> None:
    with server.client() as client:
        response = client.get("/health", headers={"X-Request-ID": incoming})
    assert response.status_code == 200
    echoed = response.headers["x-request-id"]
    assert echoed != incoming
    assert re.fullmatch(r"[0-9a-f]{16}", echoed)


# --------------------------------------------------------------------------- CORS


def _preflight(client, origin: str, method: str = "POST"):
    return client.options(
        f"{API}/book",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type,x-request-id",
        },
    )


def test_cors_default_allows_local_dev_origins_and_rejects_others(server) -> None:
    with server.client() as client:
        for origin in (LOCAL_ORIGIN, "http://127.0.0.1:8000", "http://localhost"):
            ok = _preflight(client, origin)
            assert ok.status_code == 200, origin
            assert ok.headers["access-control-allow-origin"] == origin
            assert "POST" in ok.headers["access-control-allow-methods"]
            simple = client.get(f"{API}/appointment-types", headers={"Origin": origin})
            assert simple.headers.get("access-control-allow-origin") == origin

        for origin in (EVIL_ORIGIN, "http://localhost.evil.example", "https://localhost:5173.evil.example"):
            refused = _preflight(client, origin)
            assert refused.status_code == 400, origin
            assert "access-control-allow-origin" not in refused.headers
            simple = client.get(f"{API}/appointment-types", headers={"Origin": origin})
            assert simple.status_code == 200  # the browser, not the server, withholds the answer
            assert "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize("cors_origins", [["*"], "*"], ids=["list", "string"])
def test_cors_wildcard_allows_any_origin(live_server, cors_origins) -> None:
    server = live_server(cors_origins=cors_origins)
    with server.client() as client:
        preflight = _preflight(client, EVIL_ORIGIN)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] in ("*", EVIL_ORIGIN)
        simple = client.get(f"{API}/appointment-types", headers={"Origin": EVIL_ORIGIN})
        assert simple.headers["access-control-allow-origin"] == "*"


def test_cors_explicit_list_from_the_environment_is_honoured(serve_process) -> None:
    process = serve_process(cors_origins="https://clinic.example, https://admin.clinic.example")
    with process.client() as client:
        for origin in ("https://clinic.example", "https://admin.clinic.example"):
            allowed = _preflight(client, origin)
            assert allowed.status_code == 200
            assert allowed.headers["access-control-allow-origin"] == origin
        # An explicit list replaces the local-development default.
        for origin in (LOCAL_ORIGIN, EVIL_ORIGIN, "https://clinic.example.evil"):
            refused = _preflight(client, origin)
            assert refused.status_code == 400, origin
            assert "access-control-allow-origin" not in refused.headers


# --------------------------------------------------------------------------- patient data in logs


def test_patient_email_and_phone_never_reach_the_server_log_in_clear(serve_process) -> None:
    process = serve_process()
    patient = {"name": "Jane Roe", "email": "jane.roe@example.com", "phone": "+1 (555) 867-5309"}
    with process.client() as client:
        made = client.post(
            f"{API}/book", json=booking_body(TUESDAY, "09:00", patient=patient, reason="call 555 867 5309")
        )
        assert made.status_code == 201
        booking = made.json()
        # Lookups and a refused booking by the same patient.
        client.get(
            f"{API}/bookings/{booking['booking_id']}", params={"confirmation_code": booking["confirmation_code"]}
        )
        assert client.post(f"{API}/book", json=booking_body(TUESDAY, "09:00", patient=patient)).status_code == 409
        bad = client.post(
            f"{API}/book", json=booking_body(TUESDAY, "09:30", patient={**patient, "phone": "5558675309x"})
        )
        assert bad.status_code == 400
        moved = client.post(
            f"{API}/bookings/{booking['booking_id']}/reschedule",
            json={"confirmation_code": booking["confirmation_code"], "date": TUESDAY, "start_time": "10:00"},
            headers={"Idempotency-Key": "log-test-move"},
        )
        assert moved.status_code == 200
        client.post(
            f"{API}/bookings/{booking['booking_id']}/cancel", json={"confirmation_code": booking["confirmation_code"]}
        )

    notice = process.wait_for_log("notice sent", booking_id=booking["booking_id"], kind="cancelled")
    assert notice["to"] == "j***@example.com"
    process.stop()  # flush everything

    log = process.log_text()
    assert "booking confirmed" in log and "booking rescheduled" in log and "booking cancelled" in log
    assert "j***@example.com" in log
    for secret in (
        "jane.roe@example.com",
        "jane.roe",
        "8675309",
        "867-5309",
        "867 5309",
        "5558675309",
        booking["confirmation_code"],
    ):
        assert secret not in log, f"{secret!r} appears in the server log"
    assert PATIENT["email"] not in log
