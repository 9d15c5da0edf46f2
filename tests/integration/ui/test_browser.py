"""The console in a real browser: headless Chromium (Debian's package) driven by Playwright.

Signs in through the form, finds the routes and the charts after real traffic, and saves the
screenshot. With `GW_UPDATE_SCREENSHOT=1` the screenshot replaces the one the README shows
(`docs/img/console.png`); otherwise it goes to the test's temporary directory, so a test run never
modifies the tree. Skipped where Chromium or Playwright is missing (`.ci/run` installs both).
"""

from __future__ import annotations

import os
from pathlib import Path

import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.gateway.server import GatewayServer

CHROMIUM = Path("/usr/bin/chromium")
README_SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "img" / "console.png"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MESSAGES = [{"role": "user", "content": "hello"}]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)")


def _traffic(server: GatewayServer, upstreams: dict[str, FakeOpenAI]) -> None:
    chat, solo = server.client("chat"), server.client("solo")
    upstreams["a"].script(Reply(status=503), Reply(status=503))
    for _ in range(5):
        chat.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "you idiot"}])
    for question in ("what is gw?", "what is gw?", "what is gw?", "and a cache?"):
        solo.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    list(solo.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    tiny = server.client("tiny")
    tiny.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError):  # one request a minute: the second is refused
        tiny.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_console_signs_in_shows_routes_and_charts_and_saves_a_screenshot(
    console_server: GatewayServer, upstreams: dict[str, FakeOpenAI], tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    update = os.environ.get("GW_UPDATE_SCREENSHOT") == "1"
    screenshot = README_SCREENSHOT if update else tmp_path / "console.png"
    server = console_server
    _traffic(server, upstreams)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(server.base + "/ui")
            assert page.url.endswith("/ui/login")
            page.fill("#token", "admin-secret")
            page.click("button[type=submit]")
            page.wait_for_url(server.base + "/ui")
            routes = page.locator("#routes")
            assert routes.locator("h3", has_text="chat").count() == 1
            assert routes.locator("h3", has_text="solo").count() == 1
            assert "configs/routes.yaml:" in routes.inner_text()
            traffic = page.locator("#traffic svg.chart rect")
            assert traffic.count() >= 1  # at least one bar: the minute of the traffic above
            trail = page.locator("#recent .trail", has_text="a 503").first
            assert "b 200" in trail.inner_text()
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000
