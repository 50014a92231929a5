"""The embeddable chat widget in a real browser: headless Debian Chromium driven by Playwright.

The app runs under uvicorn on a loopback port (the `live_server` fixture) with the scripted
`stub` model, whose replies stream word by word with a small delay so streaming is visible.
No browser is ever downloaded: the tests use /usr/bin/chromium (`make test` installs it) and
fail, not skip, without it. Screenshots go to artifacts/ (gitignored).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from agent.models.stub import StubScript
from api.deps import services
from api.main import create_app
from tests.support.axe import assert_no_violations
from tests.support.browser import shot
from tests.support.servers import LiveServer

TOKEN_DELAY = 0.04  # seconds per streamed word: slow enough to watch, fast enough to test
expect.set_options(timeout=10_000)

# ---------------------------------------------------------------- the scripted conversation

DAY = "2026-12-01"  # Tuesday, December 1 (the clinic clock is frozen at Monday 2026-11-23 09:00)
ASK = "I'd like a follow-up appointment on Tuesday, December 1, in the morning."
DETAILS = "Jane Doe, jane@example.com, 555-010-0199"
PATIENT = {"patient_name": "Jane Doe", "patient_email": "jane@example.com", "patient_phone": "555-010-0199"}
OFFER = (
    "On Tuesday, December 1 I have these follow-up times free in the morning: 9:00, 9:15 or 10:30 am. "
    "(We close for lunch 12:00–1:00 pm.) Which time suits you best?"
)
OFFERED = ["09:00", "09:15", "10:30"]  # 12:00 and 1:00 pm are not free morning slots: no buttons
OFFERED_12H = ["9:00 AM", "9:15 AM", "10:30 AM"]  # the buttons' text where the clinic reads 12-hour times


def check_reply() -> list[dict[str, Any]]:
    return [
        {
            "text": "Let me check Tuesday morning for you.",
            "tool_calls": [
                {
                    "name": "check_availability",
                    "args": {"date": DAY, "appointment_type": "followup", "time_of_day": "morning"},
                }
            ],
        },
        {"text": OFFER},
    ]


def details_reply(time_: str) -> dict[str, Any]:
    return {"text": f"Great, {time_} it is. To book it I need your full name, e-mail address and phone number."}


def book_reply(time_: str) -> dict[str, Any]:
    args = {"date": DAY, "start_time": time_, "appointment_type": "followup", **PATIENT}
    return {"text": "Thank you, Jane. Please confirm the booking.", "tool_calls": [{"name": "book_slot", "args": args}]}


def booked_reply(time_: str) -> dict[str, Any]:
    return {
        "text": f"You're all set for Tuesday, December 1 at {time_}. The details are on their way to jane@example.com."
    }


def whole_booking(time_: str = "09:00") -> list[dict[str, Any]]:
    return [*check_reply(), details_reply(time_), book_reply(time_), booked_reply(time_)]


# ---------------------------------------------------------------- fixtures


@dataclass
class Clinic:
    server: LiveServer
    script: StubScript

    @property
    def url(self) -> str:
        return self.server.url

    def bookings(self) -> list[dict[str, Any]]:
        """Every booking row in the server's SQLite database."""
        path = self.server.settings.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM bookings ORDER BY created_at")]


@pytest.fixture
def clinic(live_server: Any) -> Any:
    """`clinic(replies, **settings)`: the app on a loopback port, its stub model scripted with `replies`."""

    def start(replies: list[dict[str, Any]], **settings: Any) -> Clinic:
        script = StubScript(replies)

        def slow(model: Any) -> Any:
            model.piece_delay = TOKEN_DELAY
            return model

        server = live_server(
            llm_provider="stub",
            app_factory=lambda s: create_app(s, stub_script=script, model_hook=slow),
            **settings,
        )
        return Clinic(server, script)

    return start


# ---------------------------------------------------------------- page helpers

RECORDER = """() => {
  const root = document.querySelector('clinic-chat').shadowRoot;
  const live = root.querySelector('[aria-live]');
  const before = root.querySelectorAll('.cc-msg[data-role=assistant]').length;
  const timeline = (window.__timeline = []);
  const snap = () => {
    const bubbles = root.querySelectorAll('.cc-msg[data-role=assistant] .cc-text');
    const typing = root.querySelector('.cc-typing');
    timeline.push({
      fresh: bubbles.length > before,
      reply: bubbles.length > before ? bubbles[bubbles.length - 1].textContent : '',
      typing: !!typing && typing.isConnected && !typing.hidden,
      live: live.textContent,
      chips: root.querySelectorAll('.cc-chip').length,
    });
  };
  new MutationObserver(snap).observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
  snap();
}"""

FOCUSED = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el) return null;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    cls: el.className || '',
    name: (el.getAttribute('aria-label') || el.textContent || '').trim(),
    slot: el.dataset ? el.dataset.slot || null : null,
    outline: style.outlineStyle + ' ' + style.outlineWidth,
  };
}"""


def launcher(page: Page) -> Any:
    return page.get_by_role("button", name="Book an appointment", exact=True)


def message_box(page: Page) -> Any:
    return page.get_by_label("Your message")


def assistant(page: Page) -> Any:
    return page.locator(".cc-msg[data-role=assistant]")


def user(page: Page) -> Any:
    return page.locator(".cc-msg[data-role=user]")


def chips(page: Page) -> Any:
    return page.locator(".cc-chip")


def say(page: Page, text: str) -> None:
    message_box(page).fill(text)
    message_box(page).press("Enter")


def wait_idle(page: Page) -> None:
    """The current turn has finished (no typing indicator, log not busy)."""
    page.wait_for_function(
        """() => { const r = document.querySelector('clinic-chat').shadowRoot;
                   return !r.querySelector('.cc-log').hasAttribute('aria-busy'); }"""
    )


def confirm_card_after_details(page: Page) -> Any:
    """Send the patient's details; the confirm card, once the turn is over."""
    say(page, DETAILS)
    card = page.get_by_role("group", name="Confirm your booking")
    expect(card.get_by_role("button", name="Confirm")).to_be_enabled()
    wait_idle(page)
    return card


def transcript_texts(page: Page) -> list[str]:
    return page.locator(".cc-msg .cc-text").all_inner_texts()


def asked_and_offered(server: Clinic, context: Any) -> tuple[Page, str | None]:
    """A new page whose patient asked ASK and was offered OFFERED; and the session id."""
    page = context().new_page()
    page.goto(server.url)
    launcher(page).click()
    say(page, ASK)
    expect(chips(page)).to_have_text(OFFERED_12H)
    wait_idle(page)
    return page, session_id(page, server)


def session_id(page: Page, clinic: Clinic) -> str | None:
    return page.evaluate("key => sessionStorage.getItem(key)", f"clinic-chat:{clinic.url}")


def no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        """() => { const log = document.querySelector('clinic-chat').shadowRoot.querySelector('.cc-log');
                   return {doc: document.documentElement.scrollWidth, view: window.innerWidth,
                           log: log.scrollWidth, logView: log.clientWidth}; }"""
    )
    assert widths["doc"] <= widths["view"], f"the page scrolls sideways: {widths}"
    assert widths["log"] <= widths["logView"], f"the conversation scrolls sideways: {widths}"


# ---------------------------------------------------------------- tests


def test_demo_page_and_static_files_are_served_with_cache_headers(clinic: Any) -> None:
    server = clinic([])
    with httpx.Client(base_url=server.url) as http:
        page = http.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "Riverside Family Clinic" in page.text and "Opening hours" in page.text
        assert '<script src="/static/widget.js"' in page.text
        assert page.headers["cache-control"] == "no-cache"

        js = http.get("/static/widget.js")
        assert js.status_code == 200 and "javascript" in js.headers["content-type"]
        assert "max-age=" in js.headers["cache-control"] and js.headers.get("etag")
        again = http.get("/static/widget.js", headers={"If-None-Match": js.headers["etag"]})
        assert again.status_code == 304 and "max-age=" in again.headers["cache-control"]

        css = http.get("/static/widget.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")

        assert http.get("/static/missing.js").status_code == 404
        for private in ("index.html", "playground.html", "playground.js"):  # only the widget's files are public
            assert http.get(f"/static/{private}").status_code == 404
        assert http.get("/static/%2e%2e/widget.py").status_code == 404


def test_book_a_slot_streaming_slot_buttons_confirm_and_card(clinic: Any, context: Any) -> None:
    server = clinic(whole_booking("09:00"))
    page = context().new_page()
    page.goto(server.url)
    expect(launcher(page)).to_be_visible()
    shot(page, "widget-page.png")

    launcher(page).click()
    expect(message_box(page)).to_be_focused()
    expect(assistant(page).first).to_contain_text("I can book you an appointment")

    # 1. Ask: the typing indicator shows, then the reply streams in word by word.
    page.evaluate(RECORDER)
    say(page, ASK)
    expect(user(page).last).to_have_text(f"You: {ASK}")
    page.wait_for_function(
        """() => { const r = document.querySelector('clinic-chat').shadowRoot;
                   const b = r.querySelectorAll('.cc-msg[data-role=assistant] .cc-text');
                   const t = b.length > 1 ? b[b.length - 1].textContent : '';
                   return t.includes('On Tuesday') && !t.includes('suits you best'); }""",
        polling=10,
    )  # a partial reply is on screen before the turn is done
    assert chips(page).count() == 0
    expect(chips(page)).to_have_text(OFFERED_12H)  # as the (en_US) clinic shows times
    wait_idle(page)
    final = assistant(page).last.locator(".cc-text").inner_text()
    assert final == f"Let me check Tuesday morning for you.\n{OFFER}"

    timeline = page.evaluate("window.__timeline")
    first_token = next(i for i, s in enumerate(timeline) if s["fresh"])
    assert any(s["typing"] for s in timeline[:first_token]), "no typing indicator before the first token"
    replies = [s["reply"] for s in timeline if s["fresh"]]
    growing = list(dict.fromkeys(replies))
    assert len(growing) >= 10, f"the reply did not stream (only {len(growing)} states)"
    assert all(final.startswith(r) or r == final for r in growing if r), "streamed text is not a prefix of the reply"
    assert any(s["typing"] for s in timeline[first_token:] if s["fresh"]), "no indicator during the tool call"
    # The live region announces the finished reply once, never a half-streamed one.
    announced = {s["live"] for s in timeline if s["live"]}
    assert announced and all(OFFER in a for a in announced), announced
    expect(page.locator("[aria-live=polite]")).to_contain_text(OFFER)
    shot(page, "widget-slots.png")

    # 2. Pick a time by button: it is sent as the patient's message.
    page.get_by_role("button", name="9:00 AM", exact=True).click()
    expect(user(page).last).to_have_text("You: 9:00 AM")
    expect(assistant(page).last).to_contain_text("To book it I need your full name")
    wait_idle(page)
    assert chips(page).count() == 0, "the time the patient just chose is not offered again"
    expect(message_box(page)).to_be_focused()

    # 3. Details: the booking waits for an explicit confirmation.
    card = confirm_card_after_details(page)
    expect(card).to_contain_text("Book a follow-up on Tuesday, December 1 at 9:00 AM for Jane Doe")
    expect(card.get_by_role("button", name="Change")).to_be_enabled()
    assert clinic_bookings_count(server) == 0
    shot(page, "widget-confirm.png")

    # 4. Confirm: the booking card shows what the database holds.
    card.get_by_role("button", name="Confirm").click()
    booked = page.get_by_role("region", name="Appointment booked")
    expect(booked).to_be_visible()
    expect(card.get_by_role("button", name="Confirm")).to_be_disabled()
    expect(assistant(page).last).to_contain_text("You're all set")
    wait_idle(page)
    code = booked.locator("[data-field=confirmation_code]").inner_text()
    booking_id = booked.locator("[data-field=booking_id]").inner_text()
    expect(booked.locator("[data-field=type]")).to_have_text("Follow-up visit")
    expect(booked.locator("[data-field=date]")).to_have_text("Tuesday, December 1")
    expect(booked.locator("[data-field=time]")).to_have_text("9:00 AM – 9:15 AM")
    assert chips(page).count() == 0, "no slot buttons after the booking"
    expect(page.locator("[aria-live=polite]")).to_contain_text(f"Confirmation code {code}")
    shot(page, "widget-booked.png")

    rows = server.bookings()
    assert [
        (r["booking_id"], r["confirmation_code"], r["date"], r["start_time"], r["patient_email"]) for r in rows
    ] == [(booking_id, code, DAY, "09:00", "jane@example.com")]
    with httpx.Client(base_url=server.url) as http:
        stored = http.get(f"/api/calendly/bookings/{booking_id}", params={"confirmation_code": code})
        assert stored.status_code == 200 and stored.json()["status"] == "confirmed"
    assert not server.script.queue, "the whole script was used"

    # A reload shows the same conversation, booking card included.
    before = transcript_texts(page)
    page.reload()
    expect(
        page.get_by_role("region", name="Appointment booked").locator("[data-field=confirmation_code]")
    ).to_have_text(code)
    assert transcript_texts(page) == before


def test_change_declines_the_pending_booking(clinic: Any, context: Any) -> None:
    server = clinic(
        [
            *check_reply(),
            details_reply("09:00"),
            book_reply("09:00"),
            {"text": "No problem, nothing is booked. What would you like to change?"},
        ]
    )
    page = context().new_page()
    page.goto(server.url)
    launcher(page).click()
    say(page, ASK)
    page.get_by_role("button", name="9:00 AM", exact=True).click()
    expect(assistant(page).last).to_contain_text("To book it")
    wait_idle(page)
    say(page, DETAILS)
    change = page.get_by_role("group", name="Confirm your booking").get_by_role("button", name="Change")
    expect(change).to_be_enabled()
    wait_idle(page)

    change.click()
    expect(user(page).last).to_have_text("You: No, I'd like to change something.")
    expect(assistant(page).last).to_contain_text("What would you like to change?")
    expect(change).to_be_disabled()
    wait_idle(page)
    expect(page.get_by_role("region", name="Appointment booked")).to_have_count(0)
    assert clinic_bookings_count(server) == 0
    with httpx.Client(base_url=server.url) as http:
        assert http.get(f"/api/chat/{session_id(page, server)}").json()["pending"] is None


def clinic_bookings_count(server: Clinic) -> int:
    try:
        return len(server.bookings())
    except sqlite3.OperationalError:  # no table yet
        return 0


def test_reload_keeps_the_conversation_and_a_typed_yes_confirms(clinic: Any, context: Any) -> None:
    server = clinic(whole_booking("10:30"))
    page, sid = asked_and_offered(server, context)
    assert sid

    # Reload after the offer: the panel is open again, the conversation and the slot buttons are back.
    before = transcript_texts(page)
    page.reload()
    expect(chips(page)).to_have_text(OFFERED_12H)
    assert transcript_texts(page) == before
    assert session_id(page, server) == sid

    say(page, "10:30")
    expect(assistant(page).last).to_contain_text("To book it")
    wait_idle(page)
    card = confirm_card_after_details(page)

    # Reload while a confirmation is pending: it comes back, buttons and all.
    before = transcript_texts(page)
    page.reload()
    card = page.get_by_role("group", name="Confirm your booking")
    expect(card).to_contain_text("on Tuesday, December 1 at 10:30 AM for Jane Doe")
    expect(card.get_by_role("button", name="Confirm")).to_be_enabled()
    assert transcript_texts(page) == before
    assert chips(page).count() == 0

    # Typing "yes" works as well as the button.
    say(page, "yes")
    booked = page.get_by_role("region", name="Appointment booked")
    expect(booked.locator("[data-field=time]")).to_have_text("10:30 AM – 10:45 AM")
    expect(card.get_by_role("button", name="Confirm")).to_be_disabled()
    wait_idle(page)
    code = booked.locator("[data-field=confirmation_code]").inner_text()
    assert [r["confirmation_code"] for r in server.bookings()] == [code]

    # And after the booking, a reload shows the card again (and offers no stale times).
    page.reload()
    expect(
        page.get_by_role("region", name="Appointment booked").locator("[data-field=confirmation_code]")
    ).to_have_text(code)
    expect(assistant(page).last).to_contain_text("You're all set")
    assert chips(page).count() == 0
    assert page.locator(".cc-confirm:not(.cc-answered)").count() == 0

    # "New conversation" forgets it here and on the server.
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".cc-msg")).to_have_count(1)  # just the greeting
    expect(message_box(page)).to_be_focused()
    assert session_id(page, server) is None
    with httpx.Client(base_url=server.url) as http:
        deadline = time.monotonic() + 5
        while http.get(f"/api/chat/{sid}").status_code != 404:
            assert time.monotonic() < deadline, "the old session was not deleted"
            time.sleep(0.05)
    page.reload()
    expect(page.locator(".cc-msg")).to_have_count(1)


def test_a_forgotten_session_starts_fresh_on_reload(clinic: Any, context: Any) -> None:
    server = clinic(check_reply())
    page, sid = asked_and_offered(server, context)
    with httpx.Client(base_url=server.url) as http:
        assert http.delete(f"/api/chat/{sid}").status_code == 204
    page.reload()
    expect(page.locator(".cc-msg")).to_have_count(1)
    expect(assistant(page).first).to_contain_text("I can book you an appointment")
    assert session_id(page, server) is None


SSE = "text/event-stream"


def sse(*events: tuple[str, dict[str, Any]]) -> str:
    return "".join(f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n" for name, data in events)


def fails_then_retries(
    page: Page, handler: Any, message: str, alert_text: str, reply: str, *, while_failed: Any = None
) -> None:
    """Send `message` while `handler` answers the chat endpoint: the alert names the failure
    (`while_failed` checks more then); with the real server back, Retry gets `reply`."""
    page.route("**/api/chat", handler)
    say(page, message)
    expect(page.get_by_role("alert")).to_contain_text(alert_text)
    if while_failed:
        while_failed()
    page.unroute("**/api/chat")
    page.get_by_role("button", name="Retry").click()
    expect(assistant(page).last).to_have_text(f"Assistant: {reply}")
    wait_idle(page)


def test_errors_show_a_message_and_retry_resends(clinic: Any, context: Any) -> None:
    server = clinic(
        [
            {"text": "Hello! Which day would suit you?"},
            {"text": "Tuesday works. Morning or afternoon?"},
            {"text": "Morning it is. Which type of visit?"},
            {"text": "A follow-up, noted."},
        ]
    )
    page = context().new_page()
    page.goto(server.url)
    launcher(page).click()
    alert = page.get_by_role("alert")
    retry = page.get_by_role("button", name="Retry")

    # The server cannot be reached (fetch fails).
    def offers_retry() -> None:
        expect(retry).to_be_visible()
        shot(page, "widget-error.png")

    fails_then_retries(
        page,
        lambda route: route.abort("connectionrefused"),
        "Hello",
        "Can't reach the clinic's booking assistant",
        "Hello! Which day would suit you?",
        while_failed=offers_retry,
    )
    expect(alert).to_have_count(0)
    expect(user(page)).to_have_count(1)  # a retry does not repeat the patient's message

    # The stream is cut before `done`: the half reply goes, the error and Retry come.
    fails_then_retries(
        page,
        lambda route: route.fulfill(
            status=200, content_type=SSE, body=sse(("token", {"text": "Tuesday "}), ("token", {"text": "wor"}))
        ),
        "Tuesday",
        "interrupted",
        "Tuesday works. Morning or afternoon?",
        while_failed=lambda: expect(assistant(page)).to_have_count(2),
    )  # greeting + first reply: no half reply left

    # The session is busy (409).
    fails_then_retries(
        page,
        lambda route: route.fulfill(
            status=409, json={"detail": "this session is still answering the previous message; wait for it to finish"}
        ),
        "Morning",
        "still answering your previous message",
        "Morning it is. Which type of visit?",
    )

    # An `error` event (the model is unavailable), retryable.
    fails_then_retries(
        page,
        lambda route: route.fulfill(
            status=200,
            content_type=SSE,
            body=sse(
                ("token", {"text": "Let me "}),
                (
                    "error",
                    {
                        "message": "Sorry, the assistant is unavailable right now. Please try again in a moment.",
                        "retryable": True,
                    },
                ),
            ),
        ),
        "A follow-up",
        "the assistant is unavailable right now",
        "A follow-up, noted.",
    )

    # A refusal that a retry cannot fix: the message, no Retry.
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(status=400, json={"detail": "message: must be at most 2000 characters (got 2001)"}),
    )
    say(page, "x" * 30)
    expect(alert).to_contain_text("must be at most 2000 characters")
    expect(retry).to_have_count(0)
    page.unroute("**/api/chat")

    # The server really goes down.
    server.server.stop()
    say(page, "Are you there?")
    expect(alert).to_contain_text("Can't reach the clinic's booking assistant")
    expect(retry).to_be_visible()
    assert user(page).count() == 6


def test_a_limit_shows_its_message_and_retry_works_once_the_window_passed(clinic: Any, context: Any) -> None:
    server = clinic(
        [{"text": "Hello! Which day would suit you?"}, {"text": "Tuesday works. Morning or afternoon?"}],
        limit_session_turns_per_minute=1,
    )
    page = context().new_page()
    page.goto(server.url)
    launcher(page).click()
    say(page, "Hello")
    expect(assistant(page).last).to_contain_text("Which day would suit you?")
    wait_idle(page)

    say(page, "Tuesday")  # the real server refuses it: 429, before any stream
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        "Too many messages in this conversation: at most 1 per minute. Please try again in 60 seconds."
    )
    shot(page, "widget-rate-limited.png")
    services(server.server.app).clock.advance(timedelta(seconds=60))
    page.get_by_role("button", name="Retry").click()
    expect(assistant(page).last).to_contain_text("Tuesday works. Morning or afternoon?")
    expect(alert).to_have_count(0)
    expect(user(page)).to_have_count(2)  # the retry did not repeat the patient's message


def test_keyboard_only(clinic: Any, context: Any) -> None:
    server = clinic(whole_booking("09:15"), time_format="24h")  # a 24-hour clinic: buttons and card say so
    page = context().new_page()
    page.goto(server.url)
    expect(launcher(page)).to_be_visible()

    # Tab to the launcher (it comes last on the page); the focus is visible.
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused and "cc-launcher" in focused["cls"]:
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    assert not focused["outline"].startswith("none"), focused
    page.keyboard.press("Enter")
    expect(message_box(page)).to_be_focused()

    # Escape closes the panel and gives the focus back to the launcher; Enter reopens it.
    page.keyboard.press("Escape")
    expect(message_box(page)).to_be_hidden()
    expect(launcher(page)).to_be_focused()
    page.keyboard.press("Enter")
    expect(message_box(page)).to_be_focused()

    page.keyboard.type(ASK)
    page.keyboard.press("Enter")
    expect(chips(page)).to_have_text(OFFERED)
    wait_idle(page)
    expect(message_box(page)).to_be_focused()  # the reply did not steal the focus

    # Focus order backwards from the input: the offered times, the conversation, the header controls.
    order = []
    for _ in range(7):
        page.keyboard.press("Shift+Tab")
        f = page.evaluate(FOCUSED)
        order.append(f["slot"] or f["name"] if "cc-log" not in f["cls"] else "log")
    assert order[:6] == ["10:30", "09:15", "09:00", "log", "Close chat", "New conversation"], order
    for _ in range(6):
        page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")  # back on 09:15
    assert page.evaluate(FOCUSED)["slot"] == "09:15"
    page.keyboard.press("Enter")
    expect(user(page).last).to_have_text("You: 09:15")
    expect(message_box(page)).to_be_focused()
    expect(assistant(page).last).to_contain_text("To book it")
    wait_idle(page)

    page.keyboard.type(DETAILS)
    page.keyboard.press("Enter")
    confirm = page.get_by_role("button", name="Confirm")
    expect(confirm).to_be_enabled()
    wait_idle(page)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED)["name"] == "Change"
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate(FOCUSED)
    assert focused["name"] == "Confirm" and not focused["outline"].startswith("none"), focused
    page.keyboard.press("Enter")
    booked = page.get_by_role("region", name="Appointment booked")
    expect(booked.locator("[data-field=time]")).to_have_text("09:15 – 09:30")
    expect(message_box(page)).to_be_focused()
    wait_idle(page)
    shot(page, "widget-keyboard.png")


def test_phone_width_has_no_horizontal_scroll(clinic: Any, context: Any) -> None:
    server = clinic(whole_booking("09:00"))
    page = context(viewport={"width": 360, "height": 740}, device_scale_factor=2, has_touch=True).new_page()
    page.goto(server.url)
    expect(launcher(page)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "widget-phone-page.png")

    page.get_by_role("button", name="Book an appointment online").click()  # the page's own button opens it too
    panel = page.locator(".cc-panel")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["width"] >= 350, box

    say(page, ASK)
    expect(chips(page)).to_have_text(OFFERED_12H)
    wait_idle(page)
    no_horizontal_scroll(page)
    shot(page, "widget-phone-slots.png")
    for chip in chips(page).all():
        b = chip.bounding_box()
        assert b and b["x"] + b["width"] <= 360

    chips(page).first.click()
    wait_idle(page)
    say(page, "Jane Doe, jane.doe.with-a-rather-long-address@riverside-family-clinic.example, 555-010-0199")
    expect(page.get_by_role("button", name="Confirm")).to_be_enabled()
    wait_idle(page)
    no_horizontal_scroll(page)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("region", name="Appointment booked")).to_be_visible()
    wait_idle(page)
    no_horizontal_scroll(page)
    shot(page, "widget-phone-booked.png")


class PartnerSite:
    """Another website: its own origin (a loopback port of its own), serving `html` at every path."""

    def __init__(self) -> None:
        self.html = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = site.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def partner() -> Iterator[PartnerSite]:
    site = PartnerSite()
    yield site
    site.close()


def test_custom_element_on_a_third_party_site(clinic: Any, context: Any, partner: PartnerSite) -> None:
    # The partner page comes from a real server of its own (Chromium blocks a page that has no
    # network address from calling loopback), on another origin, allowed by CORS_ORIGINS.
    server = clinic(check_reply(), cors_origins=[partner.origin])
    partner.html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner</title>
      <meta name="viewport" content="width=device-width, initial-scale=1"></head>
      <body style="font: 20px Georgia, serif; color: purple; max-width: 480px; margin: 24px auto">
      <h1>A partner's page</h1>
      <clinic-chat api="{server.url}" heading="Ask Riverside"
        greeting="Hi from the partner page! What can I book?"></clinic-chat>
      <script src="{server.url}/static/widget.js" defer></script></body></html>"""
    page = context().new_page()
    page.goto(f"{partner.origin}/")

    # Inline: no launcher, the panel is there; only one widget (the script adds none of its own).
    expect(page.get_by_role("heading", name="Ask Riverside")).to_be_visible()
    expect(page.locator("clinic-chat")).to_have_count(1)
    expect(launcher(page)).to_have_count(0)
    expect(assistant(page).first).to_have_text("Assistant: Hi from the partner page! What can I book?")
    # Its stylesheet came from beside the script, and the host page's fonts do not leak in.
    styles = page.evaluate(
        """() => { const r = document.querySelector('clinic-chat').shadowRoot;
                   return {header: getComputedStyle(r.querySelector('.cc-header')).backgroundColor,
                           font: getComputedStyle(r.querySelector('.cc-text')).fontFamily}; }"""
    )
    assert styles["header"] == "rgb(11, 110, 105)" and "Georgia" not in styles["font"], styles

    say(page, ASK)  # cross-origin POST + SSE, allowed by CORS_ORIGINS
    expect(chips(page)).to_have_text(OFFERED_12H)
    wait_idle(page)
    assert_no_violations(page, "inline on a third-party page, slots offered")
    shot(page, "widget-third-party.png")
