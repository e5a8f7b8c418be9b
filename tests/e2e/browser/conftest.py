"""Browser fixtures: Debian's Chromium driven by Playwright (never a browser Playwright downloads), against the
`served` stack of tests/e2e/conftest.py.

- `browser` (session): the launched Chromium (flags from scripts/browser.py);
- `page`: a fresh context and page per test (no cookies or storage carried over), phone-sized when the test asks
  with `@pytest.mark.parametrize("viewport", [...], indirect=True)`;
- `storefront`: a tiny storefront page server on 127.0.0.1 (another origin than the API, as a real shop is), whose
  pages a test writes with `storefront.page(name, html)`;
- `axe(page)`: runs axe-core (from .browser/, installed by `make browser`) in the page and returns its violations;
- `shot(page, name)`: a screenshot into build/screenshots/ (the README names the folder).

Outside CI a machine without Chromium skips these tests with the command that installs it; in CI (CI=true) that is
a failure, since `make test` installs it first.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from scripts import browser as setup
from tests.fakes.browser import shot

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    gaps = setup.missing()
    if gaps:
        message = "the test browser is not installed (make browser): " + "; ".join(gaps)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(setup.CHROMIUM), args=list(setup.CHROMIUM_ARGS),
                                              headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    return dict(getattr(request, "param", DESKTOP))


@pytest.fixture
def page(browser: Any, viewport: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, locale="en-GB")
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


@dataclass
class Storefront:
    """Pages of a storefront on its own origin (127.0.0.1, a free port)."""

    url: str
    pages: dict[str, str] = field(default_factory=dict)

    def page(self, name: str, html: str) -> str:
        self.pages[name] = html
        return f"{self.url}/{name}"


@pytest.fixture
def storefront() -> Iterator[Storefront]:
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.lstrip("/").split("?")[0])
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Storefront(f"http://127.0.0.1:{server.server_address[1]}", pages)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    return shot
