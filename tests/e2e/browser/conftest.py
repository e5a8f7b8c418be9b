"""Browser fixtures: Debian's Chromium driven by Playwright (never a browser Playwright downloads), against the
`served` stack of tests/e2e/conftest.py.

- `browser` (session): the launched Chromium (flags from scripts/browser.py);
- `page`: a fresh context and page per test (no cookies or storage carried over), phone-sized when the test asks
  with `@pytest.mark.parametrize("viewport", [...], indirect=True)`;
- `storefront`: a tiny storefront page server on 127.0.0.1 (another origin than the API, as a real shop is), whose
  pages a test writes with `storefront.page(name, html)` (or any file with `storefront.file(name, text, type)`);
  `storefront.hits` lists the paths it was asked for.  One server per session, started BEFORE the stack: `served`
  is overridden here to pass its origin to `scripts.serve.start(extra_origins=...)`, so the API's CORS check allows
  the storefront's pages (use unique page names per test);
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
from scripts.serve import Stack, start
from tests.fakes.browser import shot
from tests.helpers import served_log_dir

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
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def file(self, name: str, text: str, content_type: str = "text/javascript; charset=utf-8") -> str:
        self.files[name] = (text, content_type)
        return f"{self.url}/{name}"

    def page(self, name: str, html: str) -> str:
        return self.file(name, html, "text/html; charset=utf-8")


@pytest.fixture(scope="session")
def storefront_server() -> Iterator[Storefront]:
    files: dict[str, tuple[str, str]] = {}
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.lstrip("/").split("?")[0]
            hits.append(name)
            found = files.get(name)
            if found is None:
                self.send_response(404)
                self.end_headers()
                return
            data = found[0].encode()
            self.send_response(200)
            self.send_header("Content-Type", found[1])
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Storefront(f"http://127.0.0.1:{server.server_address[1]}", files, hits)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def storefront(storefront_server: Storefront) -> Storefront:
    return storefront_server


@pytest.fixture(scope="session")
def served(storefront_server: Storefront, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """tests/e2e/conftest.py's stack, with the storefront's origin among the API's allowed origins.  It does not
    touch $SERVE_STACK: that names the e2e folder's stack, which `make mail` / `make tick` from other e2e modules
    on the same worker must reach (a second stack there sent their links to this one)."""
    log_dir = served_log_dir(tmp_path_factory)
    stack = start(log_dir=log_dir, extra_origins=(storefront_server.url,))  # stops what it started if it fails
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    return shot
