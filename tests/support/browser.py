"""Real-browser fixtures: Debian's chromium driven by Playwright (never a downloaded browser).

`browser` (one per module) and `context(**options)` (a fresh context per call, closed after the
test). A missing chromium fails the test with how to install it; it is never a skip. Register
them with `from tests.support.browser import browser, context` in a conftest.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support.servers import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"  # Debian's; CHROMIUM_PATH=... overrides it
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "artifacts"
ContextFactory = Callable[..., BrowserContext]


def chromium_path() -> str | None:
    if override := os.environ.get("CHROMIUM_PATH"):
        return override if Path(override).exists() else None
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser | None]:
    path = chromium_path()
    if path is None:
        yield None  # each test then fails with the explanation (see `context`)
        return
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Browser | None) -> Iterator[ContextFactory]:
    """`context(**options)`: a fresh browser context (own sessionStorage), closed after the test."""
    contexts: list[BrowserContext] = []

    def new(**options: Any) -> BrowserContext:
        if browser is None:
            pytest.fail(
                "Chromium not found "
                f"(looked for {os.environ.get('CHROMIUM_PATH') or CHROMIUM + ' and `chromium` on PATH'}): "
                "the browser tests need Debian's chromium (no browser is downloaded). "
                "Install it with `bash scripts/ensure-chromium.sh` (`make test` runs it)."
            )
        options.setdefault("viewport", {"width": 1280, "height": 800})
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        return ctx

    yield new
    for ctx in contexts:
        ctx.close()


def shot(page: Page, name: str) -> None:
    """A screenshot into artifacts/ (gitignored), for people reviewing a run."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
