"""The playground in headless Chromium: sign in, edit the prompt, chat, read the tool trace and
the confirmation step, export the conversation, replay it k times for pass^k, and replay the
export green.

Uses Debian's chromium through Playwright (never a downloaded browser); a missing chromium is a
failure that says how to install it, not a skip.
"""

from __future__ import annotations

import asyncio
import functools
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from api.main import create_app
from conversations import format_result, load_script, run_script
from conversations.evaluate import evaluate_text
from tests.api.playground.conftest import TOKEN, PromptLog
from tests.support.browser import ContextFactory

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT = PROJECT_ROOT / "artifacts" / "playground.png"
MARKER = "Playground marker 5150: mention parking."


def send(page: Page, text: str, number: int) -> Any:
    page.fill("#message", text)
    page.click("#send")
    turn = page.locator(f'.turn[data-turn="{number}"]')
    expect(turn).to_have_class(re.compile(r"\bdone\b"), timeout=15_000)
    return turn


def test_edit_chat_trace_export_and_replay(
    live_server: Any, context: ContextFactory, tmp_path: Path, prompt_log: PromptLog
) -> None:
    evaluator = functools.partial(evaluate_text, app_factory=create_app)  # as `scheduling-agent serve` wires it
    server = live_server(
        app_factory=lambda settings: create_app(settings, model_hook=prompt_log.hook(), evaluator=evaluator),
        playground_token=TOKEN,
        llm_provider="offline",
        checkpoint_url="memory",
    )
    page_context = context(accept_downloads=True, viewport={"width": 1400, "height": 1100})
    page = page_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Without the token the page is the sign-in form (200: the API behind it asks for the token).
    response = page.goto(f"{server.url}/playground")
    assert response is not None and response.status == 200
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    page.fill("#token", "not-the-token")
    page.click("text=Unlock")
    expect(page.locator("#signin-error")).to_have_text("The token was not accepted.")
    page.fill("#token", TOKEN)
    page.click("text=Unlock")
    expect(page.locator("#app")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('playground-token')") == TOKEN

    # The shipped prompt is loaded; staff edit it for this session.
    prompt = page.locator("#prompt")
    expect(prompt).to_have_value(re.compile(r"^You are the scheduling assistant of \{\{clinic_name\}\}"))
    expect(page.locator("#prompt-state")).to_have_text("shipped prompt")
    prompt.fill(prompt.input_value() + "\n" + MARKER)
    expect(page.locator("#prompt-state")).to_have_text("edited: this session only")
    expect(page.locator("#provider")).to_have_value("offline")
    # ... but the embedded model does not read it, and the page says so; the Model field shows what runs
    expect(page.locator("#prompt-notice")).to_be_visible()
    expect(page.locator("#prompt-notice")).to_contain_text("does not read the system prompt")
    expect(page.locator("#model")).to_have_value("offline-rules (embedded, rule-based)")
    expect(page.locator("#model")).to_be_disabled()

    # Turn 1: a tool call with its arguments, result and latency; token usage.
    first = send(page, "Hi, I'd like a consultation tomorrow morning", 1)
    expect(page.locator("#session-id")).to_have_text(re.compile(r"^pg-"))
    tool = first.locator("li.tool")
    expect(tool).to_have_count(1)
    expect(tool.locator(".tool-name")).to_have_text("check_availability")
    expect(tool.locator(".args")).to_contain_text('"date": "2026-11-24"')
    expect(tool.locator(".args")).to_contain_text('"time_of_day": "morning"')
    expect(tool.locator(".result-state")).to_have_text("ok")
    expect(tool.locator(".ms")).to_have_text(re.compile(r"^\d+\.\d ms$"))
    tool.locator("summary").click()
    expect(tool.locator(".result-data")).to_contain_text('"day": "Tuesday, November 24"')
    expect(first.locator(".reply")).to_contain_text("Tuesday, November 24")
    expect(first.locator(".usage")).to_have_text(re.compile(r"^tokens: \d+ in · \d+ out · \d+ total"))

    # Turns 2-3: details, then the booking waits for the patient's confirmation.
    second = send(page, "10:00 please", 2)
    expect(second.locator("li.tool")).to_have_count(0)
    third = send(page, "Jane Roe, jane@example.com, 555 010 0100", 3)
    expect(third.locator("li.tool .tool-name")).to_have_text("book_slot")
    expect(third.locator("li.tool .result-state")).to_have_text("awaiting confirmation")  # not run before the yes
    expect(third.locator(".reply")).to_have_text("(no text: the patient is asked to confirm)")
    expect(third.locator("li.confirm .confirm-state")).to_have_text("waiting for the patient")
    expect(page.locator("#confirm-bar")).to_be_visible()
    expect(page.locator("#confirm-summary")).to_have_text(
        "Book a consultation on Tuesday, November 24 at 10:00 AM for Jane Roe, jane@example.com, 555 010 0100?"
    )

    # Turn 4: the button confirms; the booking runs and its result shows.
    page.click("#confirm-yes")
    fourth = page.locator('.turn[data-turn="4"]')
    expect(fourth).to_have_class(re.compile(r"\bdone\b"), timeout=15_000)
    expect(third.locator("li.confirm .confirm-state")).to_have_text("approved (button)")
    expect(fourth.locator("li.tool .tool-name")).to_have_text("book_slot")
    expect(fourth.locator("li.tool .result-state")).to_have_text("ok")
    expect(third.locator("li.tool .result-state")).to_have_text("ok (after the confirmation)")
    expect(fourth.locator(".reply")).to_contain_text(re.compile(r"APPT-20261124-[0-9A-F]{8}"))
    expect(fourth.locator(".usage")).to_contain_text("booked APPT-20261124-")
    expect(page.locator("#confirm-bar")).to_be_hidden()

    # The edited prompt reached the model on every call of this session.
    assert prompt_log.prompts and all(MARKER in p for p in prompt_log.prompts)

    # Export downloads the script; its text is shown too.
    with page.expect_download() as download_info:
        page.click("#export")
    download = download_info.value
    assert re.fullmatch(r"playground-[\w-]{1,12}\.yaml", download.suggested_filename)
    exported = tmp_path / download.suggested_filename
    download.save_as(exported)
    expect(page.locator("#export-box")).to_be_visible()
    expect(page.locator("#export-preview")).to_contain_text("llm: stub")

    # The conversation replayed 3 times with the edited prompt and the offline model: pass^k.
    page.fill("#trials", "3")
    page.click("#run-eval")
    expect(page.locator("#eval-summary")).to_contain_text("3 of 3 runs passed (offline): pass^3 = 1.00", timeout=30_000)
    expect(page.locator("#eval-head th")).to_have_text(["k", "1", "2", "3"])
    expect(page.locator("#eval-row td")).to_have_text(["1.00", "1.00", "1.00"])
    expect(page.locator("#eval-failures li")).to_have_count(0)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert errors == [], errors

    # The export replays green with the script runner (stub model, fresh database).
    script = load_script(exported)
    assert script.llm == "stub" and script.prompt is not None and MARKER in script.prompt
    assert [t.user for t in script.turns] == [
        "Hi, I'd like a consultation tomorrow morning",
        "10:00 please",
        "Jane Roe, jane@example.com, 555 010 0100",
        "yes",
    ]
    # in a thread of its own: Playwright's sync API keeps an event loop running in this one
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, run_script(script, create_app)).result()
    assert result.passed, format_result(result, verbose=True)
    assert "{{booking.booking_id}}" not in result.turns[3].reply and "APPT-20261124-" in result.turns[3].reply
