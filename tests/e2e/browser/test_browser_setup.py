"""The test browser itself: Debian's Chromium through Playwright renders a page of the served stack, and axe-core
runs in it."""

from __future__ import annotations

from typing import Any

from scripts.serve import Stack
from tests.fakes.browser import axe


def test_chromium_renders_a_storefront_page_and_axe_runs(page: Any, storefront: Any, served: Stack) -> None:
    url = storefront.page("index.html", "<!doctype html><html lang='en'><head><title>Shop</title></head>"
                                        "<body><main><h1>Shop</h1><p id='api'></p></main></body></html>")
    page.goto(url)
    assert page.title() == "Shop"
    assert [v["id"] for v in axe(page) if v["impact"] in ("serious", "critical")] == []
    response = page.goto(f"{served.api}/health")
    assert response is not None and response.status == 200
