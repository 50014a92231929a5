"""Clinic answers and the safety guard as patients and staff see them, in headless Chromium:
the widget names the section an answer came from and shows emergency guidance as an alert;
the playground trace shows the retrieved sections with their scores."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from api.main import create_app
from tests.api.playground.conftest import TOKEN
from tests.api.test_widget_browser import assistant, clinic, launcher, say, wait_idle  # noqa: F401 (fixture)
from tests.support.browser import ContextFactory


def test_widget_shows_the_source_of_a_clinic_answer_and_the_emergency_alert(clinic: Any, context: Any) -> None:  # noqa: F811
    server = clinic(
        [
            {"tool_calls": [{"name": "clinic_info", "args": {"question": "is there parking?"}}]},
            {"text": "Yes, there is free parking in the garage under the building."},
        ]
    )
    page = context().new_page()
    page.goto(server.url)
    launcher(page).click()
    say(page, "is there parking?")
    wait_idle(page)
    reply = assistant(page).last
    expect(reply).to_contain_text("free parking in the garage")
    expect(reply.locator(".cc-source")).to_have_text("Source: Parking and accessibility")

    # The guard answers before the model (whose script is used up: a model call would fail).
    say(page, "my husband has crushing chest pain and cant breathe")
    wait_idle(page)
    alert = page.locator(".cc-msg.cc-safety")
    expect(alert).to_have_count(1)
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_contain_text("911")
    expect(alert.locator(".cc-source")).to_have_count(0)


def test_playground_trace_shows_the_retrieved_sections_and_scores(live_server: Any, context: ContextFactory) -> None:
    server = live_server(
        app_factory=create_app, playground_token=TOKEN, llm_provider="offline", checkpoint_url="memory"
    )
    page = context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{server.url}/playground")
    page.fill("#token", TOKEN)
    page.click("text=Unlock")
    expect(page.locator("#app")).to_be_visible()
    page.fill("#message", "do u take medicaid")
    page.click("#send")
    turn = page.locator('.turn[data-turn="1"]')
    expect(turn).to_have_class(re.compile(r"\bdone\b"), timeout=15_000)
    expect(turn).to_contain_text("clinic_info")
    expect(turn).to_contain_text('"title": "Insurance accepted"')
    expect(turn).to_contain_text(re.compile(r'"score": \d+\.\d+'))
