"""Notices to the patient: e-mail with an .ics, through the outbox, over a real SMTP server.

Booking and cancelling go over real HTTP; the mail server is aiosmtpd on 127.0.0.1
(tests/support/smtp.py); messages are parsed with the standard e-mail parser and their
calendar files with `icalendar`, the library that wrote them.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from core.database import parse_database_url
from scheduler.ics import Clinic
from scheduler.mailer import MessageStyle, SmtpDelivery, render
from scheduler.outbox import Notice, backoff, latest
from scheduler.store import Booking, BookingEvent, BookingStore, make_store
from tests.support.calendly import API, PATIENT, book_ok, free_times, query
from tests.support.servers import wait_until
from tests.support.smtp import SmtpServer

TUESDAY = "2026-11-24"


def _calendar(message: EmailMessage) -> Calendar:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


def _event(cal: Calendar) -> Any:
    (event,) = cal.walk("VEVENT")
    return event


def _outbox(database_url: str) -> list[tuple[Any, ...]]:
    sql = "SELECT kind, sequence, recipient, attempts, sent_at IS NOT NULL AS sent FROM outbox ORDER BY notice_id"
    return [(r["kind"], r["sequence"], r["recipient"], r["attempts"], int(r["sent"])) for r in query(database_url, sql)]


def _cancel(client: Any, made: dict[str, Any]) -> None:
    url = f"{API}/bookings/{made['booking_id']}/cancel"
    assert client.post(url, json={"confirmation_code": made["confirmation_code"]}).status_code == 200


def test_booking_and_cancelling_send_e_mails_whose_calendar_entry_updates(live_server, smtp_server: SmtpServer) -> None:
    server = live_server(smtp_url=smtp_server.url, mail_from="desk@riverside.example")
    with server.client() as client:
        made = book_ok(client, TUESDAY, "10:30", "followup")
        (booked,) = smtp_server.sink.wait_for(1)

        assert booked["To"].addresses[0].addr_spec == PATIENT["email"]
        assert booked["From"].addresses[0].addr_spec == "desk@riverside.example"
        assert "booked" in booked["Subject"]
        body = booked.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for expected in (
            "Follow-up at Riverside Family Clinic",
            "Tuesday, November 24, 2026, 10:30 AM to 10:45 AM (America/New_York)",
            made["confirmation_code"],
            "To change or cancel it",
        ):
            assert expected in body
        cal = _calendar(booked)
        event = _event(cal)
        assert cal["METHOD"] == "PUBLISH"
        assert event["SEQUENCE"] == 0
        assert event["STATUS"] == "CONFIRMED"
        assert str(event["SUMMARY"]) == "Follow-up at Riverside Family Clinic"
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert (start.isoformat(), end.isoformat()) == ("2026-11-24T10:30:00-05:00", "2026-11-24T10:45:00-05:00")
        assert event["DTSTART"].params["TZID"] == "America/New_York"
        assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]

        _cancel(client, made)
        _, cancelled = smtp_server.sink.wait_for(2)

    assert "cancelled" in cancelled["Subject"]
    cal2 = _calendar(cancelled)
    event2 = _event(cal2)
    assert cal2["METHOD"] == "CANCEL"
    assert event2["STATUS"] == "CANCELLED"
    assert event2["UID"] == event["UID"]  # the same calendar entry ...
    assert event2["SEQUENCE"] == 1  # ... in a newer version
    assert cancelled["Message-ID"] != booked["Message-ID"]
    wait_until(lambda: all(row[4] for row in _outbox(server.settings.database_url)), what="both rows marked sent")
    assert _outbox(server.settings.database_url) == [
        ("created", 0, PATIENT["email"], 1, 1),
        ("cancelled", 1, PATIENT["email"], 1, 1),
    ]


def test_a_reschedule_updates_the_entry_and_an_idempotent_replay_sends_nothing(
    live_server, smtp_server: SmtpServer
) -> None:
    server = live_server(smtp_url=smtp_server.url)
    with server.client() as client:
        made = book_ok(client, TUESDAY, "09:00")
        move = {"confirmation_code": made["confirmation_code"], "date": TUESDAY, "start_time": "11:30"}
        url = f"{API}/bookings/{made['booking_id']}/reschedule"
        for _ in range(2):  # the same key twice: one change, so one notice
            moved = client.post(url, json=move, headers={"Idempotency-Key": "move-once"})
            assert moved.status_code == 200, moved.text
        assert moved.headers.get("idempotent-replayed") == "true"
        _cancel(client, made)
        booked, rescheduled, cancelled = smtp_server.sink.wait_for(3)
        wait_until(lambda: all(row[4] for row in _outbox(server.settings.database_url)), what="rows marked sent")
    assert len(smtp_server.sink.received) == 3
    assert "has moved" in rescheduled["Subject"]
    assert "11:30 AM to 12:00 PM" in rescheduled.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    events = [_event(_calendar(m)) for m in (booked, rescheduled, cancelled)]
    assert [e["SEQUENCE"] for e in events] == [0, 1, 2]
    assert len({e["UID"] for e in events}) == 1
    assert events[1].decoded("DTSTART").isoformat() == "2026-11-24T11:30:00-05:00"
    assert [_calendar(m)["METHOD"] for m in (booked, rescheduled, cancelled)] == ["PUBLISH", "PUBLISH", "CANCEL"]
    assert [row[:2] for row in _outbox(server.settings.database_url)] == [
        ("created", 0),
        ("rescheduled", 1),
        ("cancelled", 2),
    ]


def test_the_ics_endpoint_serves_the_attachment_of_the_newest_notice(live_server, smtp_server: SmtpServer) -> None:
    server = live_server(smtp_url=smtp_server.url)
    with server.client() as client:
        made = book_ok(client, TUESDAY, "09:00")
        url = f"{API}/bookings/{made['booking_id']}.ics"
        (booked,) = smtp_server.sink.wait_for(1)

        got = client.get(url, params={"confirmation_code": made["confirmation_code"].lower()})
        assert got.status_code == 200, got.text
        assert got.headers["content-type"].startswith("text/calendar")
        assert f'filename="{made["booking_id"]}.ics"' in got.headers["content-disposition"]
        (attachment,) = booked.iter_attachments()
        assert got.content == attachment.get_payload(decode=True)

        _cancel(client, made)
        _, cancelled = smtp_server.sink.wait_for(2)
        after = client.get(url, params={"confirmation_code": made["confirmation_code"]})
        (attachment,) = cancelled.iter_attachments()
        assert after.content == attachment.get_payload(decode=True)
        assert Calendar.from_ical(after.content)["METHOD"] == "CANCEL"

        wrong = client.get(url, params={"confirmation_code": "WRONGCOD"})
        assert (wrong.status_code, wrong.json()["detail"]) == (
            403,
            "The confirmation code does not match this booking.",
        )
        assert client.get(url).status_code == 403
        unknown = client.get(f"{API}/bookings/APPT-NOPE.ics", params={"confirmation_code": "ABCDEFGH"})
        assert (unknown.status_code, unknown.json()["detail"]) == (404, "No booking with id 'APPT-NOPE'.")
        # The JSON lookup still answers at its own path.
        assert client.get(f"{API}/bookings/{made['booking_id']}", params={"confirmation_code": "x"}).status_code == 403


def test_without_smtp_url_each_message_is_an_eml_file(live_server) -> None:
    server = live_server()
    with server.client() as client:
        made = book_ok(client, TUESDAY, "11:00")
    path = server.settings.outbox_dir / f"{made['booking_id']}-0-created.eml"
    wait_until(path.exists, what=str(path))
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"].addresses[0].addr_spec == PATIENT["email"]
    assert _event(_calendar(message))["SEQUENCE"] == 0
    assert not list(server.settings.outbox_dir.glob("*.partial"))
    written = server.logs.wait_for("notice written to file")
    assert written.path == str(path)
    lines = server.logs.text()
    assert "j***@example.com" in lines
    for secret in (PATIENT["email"], PATIENT["name"], made["confirmation_code"]):
        assert secret not in lines


def test_a_transient_smtp_failure_is_retried_with_backoff(live_server, smtp_server: SmtpServer) -> None:
    smtp_server.sink.refusing = 3
    server = live_server(smtp_url=smtp_server.url, outbox_retry_seconds=0.05)
    with server.client() as client:
        made = book_ok(client, TUESDAY, "13:00")
    (message,) = smtp_server.sink.wait_for(1)
    assert made["confirmation_code"] in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert smtp_server.sink.refused == 3
    failures = server.logs.find("notice delivery failed", booking_id=made["booking_id"])
    assert [(f.attempts, f.retry_in_s) for f in failures] == [(1, 0.05), (2, 0.1), (3, 0.2)]
    sent = server.logs.wait_for("notice sent", booking_id=made["booking_id"])
    assert sent.attempts == 4
    wait_until(lambda: _outbox(server.settings.database_url)[0][4], what="row marked sent")
    assert _outbox(server.settings.database_url) == [("created", 0, PATIENT["email"], 4, 1)]


def test_a_crash_between_the_booking_and_its_send_still_delivers_once(serve_process, smtp_server: SmtpServer) -> None:
    """kill -9 after the 201, while the mail server refuses: after the restart, one message."""
    smtp_server.sink.refusing = None
    process = serve_process(smtp_url=smtp_server.url, outbox_retry_seconds=0.2)
    with process.client() as client:
        made = book_ok(client, TUESDAY, "14:00")
    process.wait_for_log("notice delivery failed", booking_id=made["booking_id"])
    process.kill()  # SIGKILL: no shutdown of any kind
    assert smtp_server.sink.received == []
    database_url = process.env["DATABASE_URL"]
    (row,) = _outbox(database_url)
    assert row[4] == 0  # still owed

    smtp_server.sink.refusing = 0
    process.start()
    (message,) = smtp_server.sink.wait_for(1)
    assert made["booking_id"] in message["Message-ID"]
    wait_until(lambda: _outbox(database_url)[0][4], what="row marked sent")
    # Nothing is left to send, so no second copy can follow.
    assert len(smtp_server.sink.received) == 1
    assert len([e for e in process.log_entries() if e.get("msg") == "notice sent"]) == 1
    with process.client() as client:
        assert "14:00" not in free_times(client, TUESDAY)


def test_two_server_processes_on_one_database_send_each_notice_once(
    serve_process, database_url, smtp_server: SmtpServer
) -> None:
    """Both processes' senders see every row; the claim lets only one of them send it."""
    first = serve_process("first", database_url=database_url, smtp_url=smtp_server.url)
    second = serve_process("second", database_url=database_url, smtp_url=smtp_server.url)
    starts = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "13:00", "13:30"]
    with first.client() as a, second.client() as b:
        made = [book_ok(a if i % 2 else b, TUESDAY, start) for i, start in enumerate(starts)]
    messages = smtp_server.sink.wait_for(len(made))
    wait_until(lambda: all(row[4] for row in _outbox(database_url)), what="every row marked sent")
    assert len(smtp_server.sink.received) == len(made)
    assert sorted(m["Message-ID"] for m in messages) == sorted(
        f"<0.{b['booking_id']}@scheduling-agent.invalid>" for b in made
    )
    sent = [e for p in (first, second) for e in p.log_entries() if e.get("msg") == "notice sent"]
    assert len(sent) == len(made)


def _booking(start: str = "15:00") -> Booking:
    return Booking(
        booking_id=f"APPT-TEST-{start.replace(':', '')}",
        confirmation_code="ABCDEFGH",
        appointment_type="consultation",
        date=TUESDAY,
        start_time=start,
        end_time="15:30",
        patient_name=PATIENT["name"],
        patient_email=PATIENT["email"],
        patient_phone=PATIENT["phone"],
        created_at="2026-11-23T14:00:00+00:00",
    )


async def _change(store: BookingStore, booking: Booking, event: str) -> None:
    """One change as the rules make it: the write and its history event, in one transaction."""
    async with store.transaction() as tx:
        if event == "created":
            await tx.create(booking)
        elif event == "rescheduled":
            await tx.move(booking)
        else:
            assert await tx.cancel(booking.booking_id, "2026-11-23T15:00:00+00:00")
        await tx.add_event(booking.booking_id, BookingEvent(event, "2026-11-23T15:00:00+00:00", None, booking.slot()))


# A trigger that refuses every outbox row, in each dialect's words.
_NO_NOTICES = {
    "sqlite": ["CREATE TRIGGER no_notices BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'full'); END"],
    "postgresql": [
        "CREATE FUNCTION no_notices() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'full'; END $$",
        "CREATE TRIGGER no_notices BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION no_notices()",
    ],
}


async def test_a_change_whose_notice_cannot_be_queued_is_rolled_back(database_url: str) -> None:
    """One transaction: if the outbox insert fails, the booking (or the cancellation) is undone."""
    store = make_store(database_url)
    await store.open()
    try:
        await _change(store, _booking("09:00"), "created")
        for statement in _NO_NOTICES[parse_database_url(database_url).dialect]:
            await _execute(store, statement)
        with pytest.raises(Exception, match="full"):
            await _change(store, _booking("15:00"), "created")
        with pytest.raises(Exception, match="full"):
            await _change(store, _booking("09:00"), "cancelled")
        assert [(b.booking_id, b.status) for b in await store.all()] == [("APPT-TEST-0900", "confirmed")]
        assert [e.event for e in await store.history("APPT-TEST-0900")] == ["created"]
    finally:
        await store.close()
    assert [row[:2] for row in _outbox(database_url)] == [("created", 0)]


async def _execute(store: BookingStore, statement: str) -> None:
    async with store.bookkeeping() as db:
        await db.execute(statement)


async def _latest(store: BookingStore, booking_id: str) -> Notice | None:
    async with store.reading() as db:
        return await latest(db, booking_id)


async def test_every_history_event_queues_a_notice_with_the_next_sequence(database_url: str) -> None:
    """add_event queues the notice: a reschedule gets one without any code of its own."""
    store = make_store(database_url)
    await store.open()
    try:
        booking = _booking()
        await _change(store, booking, "created")
        booking.start_time, booking.end_time = "16:00", "16:30"
        await _change(store, booking, "rescheduled")
        notice = await _latest(store, booking.booking_id)
        await _change(store, booking, "cancelled")
        last = await _latest(store, booking.booking_id)
    finally:
        await store.close()
    assert notice is not None and (notice.kind, notice.sequence, notice.booking["start_time"]) == (
        "rescheduled",
        1,
        "16:00",
    )
    assert last is not None and (last.kind, last.sequence) == ("cancelled", 2)
    clinic = Clinic("Riverside Family Clinic", ZoneInfo("America/New_York"))
    message = render(notice, MessageStyle(clinic, "desk@clinic.example"))
    assert message["Subject"].startswith("Your appointment has moved")
    event = _event(_calendar(message))
    assert (event["SEQUENCE"], event.decoded("DTSTART").isoformat()) == (1, "2026-11-24T16:00:00-05:00")


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20, 30) == 3600


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://user:p%40ss@mail.example:587?starttls=true", ("mail.example", 587, "user", "p@ss", False, True)),
        ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, None, None, False, None)),
        ("smtps://u:p@mail.example", ("mail.example", 465, "u", "p", True, None)),
        ("smtp://mail.example?starttls=false", ("mail.example", 25, None, None, False, False)),
    ],
)
def test_smtp_url_is_read_as_documented(url: str, expected: tuple[Any, ...]) -> None:
    d = SmtpDelivery.from_url(url)
    assert (d.hostname, d.port, d.username, d.password, d.use_tls, d.start_tls) == expected


def test_a_malformed_smtp_url_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="SMTP_URL must look like smtp://"):
        SmtpDelivery.from_url("http://mail.example")
