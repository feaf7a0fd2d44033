"""Debian's chromium driven by playwright, cut off from every host but the local server.

Browser tests skip (with the reason) only when chromium or playwright is absent;
`.ci/run` installs chromium so CI always runs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS: Final = Path(__file__).resolve().parents[2] / "test-artifacts" / "explorer"
LOCAL_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def skip_without_chromium() -> None:
    """Skip the calling test with a clear reason when the browser cannot be driven."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: `apt-get install -y chromium` runs these tests")
    pytest.importorskip("playwright.sync_api", reason="the test extras install playwright")


@contextmanager
def chromium() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class OfflinePage:
    """A page (one tab: sessionStorage lives as long as it) whose requests to any
    host but the local server are aborted and recorded."""

    def __init__(self, browser: Browser, viewport: tuple[int, int] = (1360, 660)) -> None:
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, timezone_id="UTC"
        )
        self.blocked: list[str] = []
        self.blocked_from: list[str] = []  # the URL of the frame that asked
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page: Page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:", "file:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            self.blocked_from.append(route.request.frame.url)
            route.abort()

    def shot(self, name: str) -> Path:
        """Saves a screenshot of the page as a test artifact and returns its path."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.context.close()
