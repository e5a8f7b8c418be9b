"""`make load` in small: the load harness (load/__main__.py, locust) for a few seconds at a low rate against its own
`make serve` stack, and its reconciliation holds: every acknowledged delivery and consent stored exactly once,
nothing else of those kinds stored, no 5xx."""

from __future__ import annotations

from pathlib import Path

import pytest

from load.__main__ import run

pytestmark = pytest.mark.e2e


def test_a_short_load_run_reconciles(tmp_path: Path) -> None:
    report = run(seconds=8, users=2, max_requests=300, wait=0.2, invoices=20, work_dir=tmp_path)
    table = report.table()
    assert report.ok, table
    assert report.server_errors == 0
    checks = {check.what: check for check in report.checks}
    assert checks["orders (WooCommerce)"].acknowledged > 0 and checks["consent events"].acknowledged > 0, table
    assert checks["PayPal events"].acknowledged > 0 and checks["PayPal events"].stored > 0, table
    assert {route["Name"] for route in report.routes} >= {"POST /webhooks/woocommerce", "POST /consent", "Aggregated"}
    assert "RECONCILIATION PASSED" in table and "p99 ms" in table
