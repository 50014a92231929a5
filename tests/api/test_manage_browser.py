"""A patient manages a booking in the widget, in headless Chromium, with the embedded offline
model (the default without an API key) and the real scheduling service behind it.

Book, then move the booking from its card (a new day, a new time, "Yes, move it"), then cancel
it from the new card; each step is checked as the patient sees it and in the service
(`GET /api/calendly/bookings/{id}`). In a fresh session the "Manage a booking" form finds a
booking by its code and e-mail and goes on in the chat. The clinic clock is frozen at Monday
2026-11-23 09:00 (tests/support/servers.py).
"""

from __future__ import annotations

from typing import Any

import httpx
from icalendar import Calendar
from playwright.sync_api import Locator, Page, expect

from api.main import create_app
from tests.api.test_widget_browser import DETAILS, assistant, chips, launcher, say, user, wait_idle
from tests.support.axe import assert_no_violations
from tests.support.browser import ContextFactory, shot
from tests.support.servers import LiveServer

ASK = "I'd like a follow-up appointment on Tuesday, December 1, in the morning."
PATIENT = {"name": "Jane Doe", "email": "jane@example.com", "phone": "555-010-0199"}


def offline_clinic(live_server: Any, **settings: Any) -> LiveServer:
    server: LiveServer = live_server(
        app_factory=create_app, llm_provider="offline", checkpoint_url="memory", **settings
    )
    return server


def service_booking(server: LiveServer, booking_id: str, code: str) -> dict[str, Any]:
    """The booking as the scheduling service has it (with its history)."""
    reply = httpx.get(f"{server.url}/api/calendly/bookings/{booking_id}", params={"confirmation_code": code})
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def field(card: Locator, name: str) -> Locator:
    return card.locator(f"[data-field={name}]")


def downloaded_event(page: Page, card: Locator) -> Any:
    """Click the card's "Add to calendar": the file downloads (a Playwright download) and parses;
    its one VEVENT."""
    with page.expect_download() as download:
        card.get_by_role("link", name="Add to calendar").click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".ics"), download.value.suggested_filename
    events = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert len(events) == 1, events
    return events[0]


def starts(event: Any) -> str:
    """The event's start as the clinic's local "YYYY-MM-DD HH:MM"."""
    return str(event.decoded("DTSTART").strftime("%Y-%m-%d %H:%M"))


def pick(page: Page, label: str) -> None:
    """Click the offered time `label` (a quick-reply button) once the turn is over."""
    wait_idle(page)
    chips(page).filter(has_text=label).click()


def test_book_then_reschedule_then_cancel_from_the_card(live_server: Any, context: ContextFactory) -> None:
    server = offline_clinic(live_server)
    page = context().new_page()
    page.goto(server.url)
    launcher(page).click()

    say(page, ASK)
    pick(page, "9:15 AM")
    expect(assistant(page).last).to_contain_text("I need your full name")
    wait_idle(page)
    say(page, DETAILS)
    page.get_by_role("group", name="Confirm your booking").get_by_role("button", name="Confirm").click()
    booked = page.get_by_role("region", name="Appointment booked")
    expect(field(booked, "time")).to_have_text("9:15 AM – 9:30 AM")
    wait_idle(page)
    booking_id = field(booked, "booking_id").inner_text()
    code = field(booked, "confirmation_code").inner_text()
    link = booked.get_by_role("link", name="Add to calendar")
    ics = f"{server.url}/api/calendly/bookings/{booking_id}.ics?confirmation_code={code}"
    expect(link).to_have_attribute("href", ics)
    expect(link).to_have_attribute("download", f"appointment-{booking_id}.ics")
    first = downloaded_event(page, booked)
    assert starts(first) == "2026-12-01 09:15"

    # Reschedule from the card: the chat asks for the new time; the confirm card shows from -> to.
    booked.get_by_role("button", name="Reschedule").click()
    expect(user(page).last).to_have_text(f"You: I'd like to move my booking, code: {code}")
    wait_idle(page)
    say(page, "Friday, December 4")
    expect(assistant(page).last).to_contain_text("Friday, December 4")
    pick(page, "10:00 AM")
    move = page.get_by_role("group", name="Confirm the new time")
    expect(field(move, "from")).to_have_text("Tuesday, December 1 at 9:15 AM")
    expect(field(move, "to")).to_have_text("Friday, December 4 at 10:00 AM")
    expect(field(move, "confirmation_code")).to_have_text(code)
    expect(move.get_by_role("button")).to_have_text(["Yes, move it", "No, keep it"])
    wait_idle(page)
    assert_no_violations(page, "the move's confirm card")
    shot(page, "manage-move-confirm.png")
    assert service_booking(server, booking_id, code)["details"]["date"] == "2026-12-01", "nothing moves before the yes"

    move.get_by_role("button", name="Yes, move it").click()
    moved = page.get_by_role("region", name="Appointment moved")
    expect(field(moved, "date")).to_have_text("Friday, December 4")
    expect(field(moved, "time")).to_have_text("10:00 AM – 10:15 AM")
    expect(field(moved, "booking_id")).to_have_text(booking_id)
    expect(field(moved, "confirmation_code")).to_have_text(code)
    expect(assistant(page).last).to_contain_text("is now on Friday, December 4 at 10:00 AM")
    expect(booked.get_by_role("button")).to_have_count(0)  # the old state of the booking offers nothing
    wait_idle(page)
    now = service_booking(server, booking_id, code)
    assert (now["status"], now["details"]["date"], now["details"]["start_time"]) == ("confirmed", "2026-12-04", "10:00")
    assert [e["event"] for e in now["history"]] == ["created", "rescheduled"]
    again = downloaded_event(page, moved)  # the same calendar entry, at the new time
    assert starts(again) == "2026-12-04 10:00"
    assert str(again["UID"]) == str(first["UID"])
    assert int(again.get("SEQUENCE", 0)) > int(first.get("SEQUENCE", 0))

    # Cancel from the new card: the confirm card says what is cancelled.
    moved.get_by_role("button", name="Cancel").click()
    expect(user(page).last).to_have_text(f"You: Please cancel my booking, code: {code}")
    cancel = page.get_by_role("group", name="Confirm the cancellation")
    expect(field(cancel, "from")).to_have_text("Friday, December 4 at 10:00 AM")
    expect(cancel.get_by_role("button")).to_have_text(["Yes, cancel it", "No, keep it"])
    wait_idle(page)
    cancel.get_by_role("button", name="Yes, cancel it").click()
    cancelled = page.get_by_role("region", name="Appointment cancelled")
    expect(cancelled).to_contain_text("This appointment is cancelled")
    expect(field(cancelled, "date")).to_have_text("Friday, December 4")
    expect(cancelled.get_by_role("button")).to_have_count(0)
    expect(cancelled.get_by_role("link")).to_have_count(0)
    expect(moved.get_by_role("button")).to_have_count(0)
    expect(assistant(page).last).to_contain_text("is cancelled")
    wait_idle(page)
    assert service_booking(server, booking_id, code)["status"] == "cancelled"
    assert_no_violations(page, "the cancelled booking's card")
    shot(page, "manage-cancelled.png")

    # A reload shows the same cards (the transcript keeps the moves), still without stale buttons.
    page.reload()  # the panel stays open across it
    expect(page.get_by_role("region", name="Appointment cancelled")).to_have_count(1)
    expect(page.locator(".cc-booking").get_by_role("button")).to_have_count(0)


def test_manage_a_booking_form_in_a_fresh_session(live_server: Any, context: ContextFactory) -> None:
    server = offline_clinic(live_server, time_format="24h")  # a 24-hour clinic: the cards say so too
    made = httpx.post(
        f"{server.url}/api/calendly/book",
        json={"appointment_type": "followup", "date": "2026-12-01", "start_time": "09:15", "patient": PATIENT},
    )
    assert made.status_code == 201, made.text
    booking_id, code = made.json()["booking_id"], made.json()["confirmation_code"]

    page = context().new_page()
    page.goto(server.url)
    launcher(page).click()
    opener = page.get_by_role("button", name="Manage a booking")
    opener.click()
    form = page.get_by_role("form", name="Manage a booking")
    expect(form.get_by_label("Confirmation code")).to_be_focused()
    assert_no_violations(page, "the manage form")
    shot(page, "manage-form.png")

    # Escape closes it and gives the focus back; a wrong e-mail is said, not sent.
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)
    expect(opener).to_be_focused()
    opener.click()
    form.get_by_label("Confirmation code").fill(code.lower())
    form.get_by_label("E-mail").fill("jane.example.com")
    form.get_by_role("button", name="Continue").click()
    expect(form.get_by_role("alert")).to_have_text("Enter the e-mail address you booked with.")
    expect(form.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("E-mail")).to_be_focused()
    expect(user(page)).to_have_count(0)

    form.get_by_label("E-mail").fill("jane@example.com")
    form.get_by_label("E-mail").press("Enter")
    expect(form).to_have_count(0)
    expect(user(page).last).to_have_text(f"You: I'd like to manage my booking. Code: {code}, e-mail: jane@example.com")
    expect(assistant(page).last).to_contain_text("I found your follow-up on Tuesday, December 1 at 09:15")
    wait_idle(page)

    found = page.get_by_role("region", name="Your booking")
    expect(field(found, "time")).to_have_text("09:15 – 09:30")
    expect(field(found, "confirmation_code")).to_have_text(code)

    # Cancel from the found booking's card, then "No, keep it": the booking stays as it was.
    found.get_by_role("button", name="Cancel").click()
    expect(user(page).last).to_have_text(f"You: Please cancel my booking, code: {code}")
    cancel = page.get_by_role("group", name="Confirm the cancellation")
    expect(field(cancel, "from")).to_have_text("Tuesday, December 1 at 09:15")
    wait_idle(page)
    cancel.get_by_role("button", name="No, keep it").click()
    expect(user(page).last).to_have_text("You: No, keep it")
    expect(assistant(page).last).to_contain_text("I've left your follow-up on Tuesday, December 1 at 09:15 as it is")
    wait_idle(page)
    assert service_booking(server, booking_id, code)["status"] == "confirmed"
    shot(page, "manage-kept.png")
    expect(page.locator(".cc-booking")).to_have_count(1)  # still that one card, still with its buttons
    expect(found.get_by_role("button")).to_have_text(["Reschedule", "Cancel"])

    # A typed "cancel it" works as well; this time yes.
    say(page, "Cancel it")
    wait_idle(page)  # the new card comes with the turn's end; the answered one stays above it
    page.get_by_role("group", name="Confirm the cancellation").last.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_role("region", name="Appointment cancelled")).to_be_visible()
    expect(found.get_by_role("button")).to_have_count(0)
    wait_idle(page)
    assert service_booking(server, booking_id, code)["status"] == "cancelled"
