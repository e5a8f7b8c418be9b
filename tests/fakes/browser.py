"""Helpers of the browser tests (tests/e2e/browser): axe-core in the page, screenshots into build/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scripts import browser as setup

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of the page (every rule of its default run)."""
    page.add_script_tag(path=str(setup.AXE_SCRIPT))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return list(result)


def shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
