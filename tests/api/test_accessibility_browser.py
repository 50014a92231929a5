"""Accessibility and the dark theme in a real browser: axe-core (WCAG 2.1 A and AA) on the widget
at every step of a booking (open, slots offered, the confirm card, the booking card) and on the
demo page, in the light and the dark colour scheme; the site's accent colour still applies in
both; the widget follows the visitor's preference unless the site fixes a theme.

Debian's chromium through Playwright (`color_scheme` emulates prefers-color-scheme); axe-core
from tests/node, injected into the page.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from api.main import create_app
from conversations.evaluate import evaluate_text
from tests.api.test_widget_browser import (
    ASK,
    OFFERED,
    assistant,
    chips,
    clinic,  # noqa: F401  # the fixture
    confirm_card_after_details,
    launcher,
    say,
    wait_idle,
    whole_booking,
)
from tests.support.axe import assert_no_violations
from tests.support.browser import shot

SCHEMES = ["light", "dark"]

# The colours a rendered widget actually uses (computed, so custom properties are resolved).
COLOURS = """() => {
  const host = document.querySelector('clinic-chat');
  const root = host.shadowRoot;
  const css = (sel, prop) => { const el = root.querySelector(sel); return el ? getComputedStyle(el)[prop] : null; };
  return {scheme: host.dataset.scheme, panel: css('.cc-panel', 'backgroundColor'),
          header: css('.cc-header', 'backgroundColor'), ink: css('.cc-assistant .cc-text', 'color'),
          page: getComputedStyle(document.body).backgroundColor};
}"""


def luminance(css_rgb: str) -> float:
    r, g, b = (int(part) / 255 for part in css_rgb[css_rgb.index("(") + 1 : css_rgb.index(")")].split(",")[:3])
    channel = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * channel[0] + 0.7152 * channel[1] + 0.0722 * channel[2]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_widget_through_a_booking_has_no_wcag_violations(clinic: Any, context: Any, scheme: str) -> None:  # noqa: F811
    server = clinic(whole_booking("09:00"))
    page = context(color_scheme=scheme).new_page()
    page.goto(server.url)
    expect(launcher(page)).to_be_visible()
    assert_no_violations(page, f"{scheme}: the demo page")

    launcher(page).click()
    expect(assistant(page).first).to_contain_text("I can book you an appointment")
    colours = page.evaluate(COLOURS)
    assert colours["scheme"] == scheme
    if scheme == "dark":  # really dark: dark surfaces, light text, the page too
        assert luminance(colours["panel"]) < 0.05 and luminance(colours["page"]) < 0.05, colours
        assert luminance(colours["ink"]) > 0.6, colours
    else:
        assert luminance(colours["panel"]) > 0.9 and luminance(colours["ink"]) < 0.05, colours
    assert colours["header"] == "rgb(11, 110, 105)", "the accent is the same in both themes"
    assert_no_violations(page, f"{scheme}: the widget, open")
    shot(page, f"a11y-{scheme}-open.png")

    say(page, ASK)
    expect(chips(page)).to_have_count(len(OFFERED))
    wait_idle(page)
    assert_no_violations(page, f"{scheme}: slots offered")
    shot(page, f"a11y-{scheme}-slots.png")

    chips(page).first.click()
    expect(assistant(page).last).to_contain_text("To book it I need your full name")
    wait_idle(page)
    card = confirm_card_after_details(page)
    assert_no_violations(page, f"{scheme}: the confirm card")
    shot(page, f"a11y-{scheme}-confirm.png")

    card.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("region", name="Appointment booked")).to_be_visible()
    wait_idle(page)
    assert_no_violations(page, f"{scheme}: the booking card")
    shot(page, f"a11y-{scheme}-booked.png")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_site_accent_applies_in_both_themes_and_keeps_aa(clinic: Any, context: Any, scheme: str) -> None:  # noqa: F811
    server = clinic(whole_booking("09:00"))
    page = context(color_scheme=scheme).new_page()
    page.goto(server.url)
    page.add_style_tag(content="clinic-chat { --cc-accent: #7b2d8b; --cc-accent-dark: #5a1f66; }")
    launcher(page).click()
    say(page, ASK)
    expect(chips(page)).to_have_count(len(OFFERED))
    wait_idle(page)
    colours = page.evaluate(COLOURS)
    assert colours["header"] == "rgb(123, 45, 139)" and colours["scheme"] == scheme
    assert_no_violations(page, f"{scheme}: a purple accent, slots offered")


def test_a_site_can_fix_the_theme_whatever_the_visitor_prefers(clinic: Any, context: Any) -> None:  # noqa: F811
    server = clinic([])
    page = context(color_scheme="dark").new_page()
    page.goto(server.url)
    expect(launcher(page)).to_be_visible()
    scheme = "() => document.querySelector('clinic-chat').dataset.scheme"
    assert page.evaluate(scheme) == "dark"
    page.evaluate("() => document.querySelector('clinic-chat').setAttribute('theme', 'light')")
    assert page.evaluate(scheme) == "light"
    page.evaluate("() => document.querySelector('clinic-chat').setAttribute('theme', 'auto')")
    assert page.evaluate(scheme) == "dark"
    page.emulate_media(color_scheme="light")  # the visitor switches their system theme: followed live
    page.wait_for_function(f"{scheme} === 'light'")


def test_the_playground_has_no_wcag_violations(live_server: Any, context: Any) -> None:
    evaluator = functools.partial(evaluate_text, app_factory=create_app)
    server = live_server(
        app_factory=lambda settings: create_app(settings, evaluator=evaluator),
        playground_token="staff-token",
        llm_provider="offline",
        checkpoint_url="memory",
    )
    page: Page = context(viewport={"width": 1400, "height": 1100}).new_page()
    page.goto(f"{server.url}/playground")
    assert_no_violations(page, "the playground's sign-in page")
    page.fill("#token", "staff-token")
    page.click("text=Unlock")
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#prompt-state")).to_have_text("shipped prompt")
    assert_no_violations(page, "the playground, signed in")

    for number, text in enumerate(
        ["Hi, I'd like a consultation tomorrow morning", "10:00 please", "Jane Roe, jane@example.com, 555 010 0100"], 1
    ):
        page.fill("#message", text)
        page.click("#send")
        expect(page.locator(f'.turn[data-turn="{number}"]')).to_have_class(re.compile(r"\bdone\b"), timeout=15_000)
    expect(page.locator("#confirm-bar")).to_be_visible()
    page.locator("li.tool summary").first.click()
    page.locator("#prompt").fill("An edited prompt for {{clinic_name}}.")
    expect(page.locator("#prompt-state")).to_have_text("edited: this session only")
    assert_no_violations(page, "the playground: tool trace, usage, the edited badge, the confirmation bar")
    page.fill("#trials", "2")
    page.click("#run-eval")
    expect(page.locator("#eval-result")).to_be_visible(timeout=30_000)
    assert_no_violations(page, "the playground: the pass^k of a replay")
