"""docs/PERFORMANCE.md agrees with the bench's own JSON output and with bench/costs.py (its generated sections are
exactly what `python -m bench.publish` writes), the cost computation is the arithmetic it claims, and the plotting
library stays out of the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import costs, publish
from bench.common import ROOT, AwsCalls, attribute_size, item_size

DOC = ROOT / "docs" / "PERFORMANCE.md"


def test_generated_sections_match_the_data_and_the_code() -> None:
    current = DOC.read_text()
    assert publish.render(current, publish.sections()) == current, "run `python -m bench.publish`"


def test_every_generated_section_is_filled() -> None:
    text = DOC.read_text()
    for name in [*publish.SOURCES, "costs"]:
        start, end = f"<!-- generated:{name} -->\n", f"\n<!-- /generated:{name} -->"
        body = text.split(start, 1)[1].split(end, 1)[0]
        assert body.strip(), name


def test_the_bench_json_holds_the_rows_the_costs_need() -> None:
    document = costs.load()
    assert document["modules"] == ["rows_50_calls"]
    names = [line.what for line in costs.lines(document)]
    assert "orders" in names and "erasure, 100-item subject" in names


def test_a_stale_section_is_detected() -> None:
    text = DOC.read_text().replace("| orders | 1 000 |", "| orders | 1 001 |")
    assert publish.render(text, publish.sections()) != text


def test_cost_arithmetic() -> None:
    calls = {"dynamodb_wru": 1_000_000.0, "kms": 10_000.0, "ses": 1_000.0}
    expected = (costs.PRICES["dynamodb_wru"].usd * 1e6 + 0.03 + 0.10 + costs.PRICES["lambda_request"].usd
                + costs.PRICES["lambda_gb_s"].usd * 2 * 0.5 + costs.PRICES["api_request"].usd)
    assert costs.aws_cost(calls, seconds=2, memory_gb=0.5, http=True) == pytest.approx(expected)
    assert costs.aws_cost({}, seconds=0, memory_gb=1, http=False) == pytest.approx(0.2 / 1e6)


def test_order_cost_follows_its_measured_calls() -> None:
    document = json.loads(json.dumps(costs.load()))
    before = {line.what: line.usd for line in costs.lines(document)}
    for row in document["rows"]:
        if row["benchmark"].startswith("calls: WooCommerce order, subject's key cached"):
            row["calls"]["dynamodb_wru"] *= 2
    after = {line.what: line.usd for line in costs.lines(document)}
    assert after["orders"] > before["orders"]
    assert after["consent events (anonymous visitor)"] == before["consent events (anonymous visitor)"]


def test_item_size_follows_dynamodb_rules() -> None:
    assert attribute_size({"S": "héllo"}) == 6
    assert attribute_size({"BOOL": True}) == 1
    assert item_size({"pk": {"S": "ORDER#1"}, "m": {"M": {"a": {"S": "xy"}}}}) == 2 + 7 + 1 + 3 + 1 + 2 + 1
    assert attribute_size({"N": "12345"}) == 4


def test_aws_calls_counts_by_service_and_request_units() -> None:
    from bench.common import moto_container

    with moto_container() as container:
        calls = AwsCalls()
        try:
            container.table.client.put_item(TableName=container.table.name,
                                            Item={"pk": {"S": "BENCH#1"}, "sk": {"S": "X"},
                                                  "data": {"S": "x" * 1500}})
            container.table.client.get_item(TableName=container.table.name,
                                            Key={"pk": {"S": "BENCH#1"}, "sk": {"S": "X"}},
                                            ConsistentRead=True)
            found = calls.by_service()
        finally:
            calls.close()
    assert found == {"dynamodb": 2.0, "dynamodb_rru": 1.0, "dynamodb_wru": 2.0}


def test_the_app_never_imports_matplotlib() -> None:
    code = "import sys, app; assert 'matplotlib' not in sys.modules; import bench.costs, bench.publish; " \
           "assert 'matplotlib' not in sys.modules"
    from bench.common import stage_env

    env = {**os.environ, **stage_env("local")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def test_index_writes_are_counted_from_the_template() -> None:
    from bench.common import index_projections, index_write_units

    indexes = index_projections()
    assert indexes["due_pk"][1] == "KEYS_ONLY" and indexes["subject_pk"][1] == "ALL"
    big = {"pk": {"S": "ORDER#1"}, "sk": {"S": "ORDER"}, "blob": {"S": "x" * 2900},
           "subject_pk": {"S": "SUBJ#a"}, "subject_sk": {"S": "order#1"}, "due_pk": {"S": "DUE#order"},
           "due_sk": {"S": "1#ORDER#1#ORDER"}}
    assert index_write_units(big, indexes) == 3 + 1  # the whole item into subject_index, keys into due_index
    assert index_write_units({"pk": {"S": "X"}, "sk": {"S": "Y"}}, indexes) == 0


def test_each_json_names_the_command_that_wrote_it() -> None:
    for file, command in publish.SOURCES.values():
        document = json.loads((publish.DATA / file).read_text())
        words = command.split("python -m bench", 1)[1].split()
        assert document["quick"] == ("BENCH_QUICK=1" in command), file
        if words:
            assert all(any(word in module for word in words) for module in document["modules"]), file
        else:
            assert len(document["modules"]) > 5, file


def test_the_figure_is_drawn_from_the_bench_output(tmp_path: Path) -> None:
    from bench import plot

    found = plot.series(plot.load_rows(plot.DEFAULT_INPUTS))
    transactions = found["emulator: TransactWriteItems among N items of the table"]
    assert [items for items, _, _ in transactions] == [1_000, 10_000, 100_000]
    assert {trips for _, _, trips in transactions} == {1.0}
    assert [items for items, _, _ in found["export of a subject with N items"]] == [10, 1_000, 10_000]
    drawn = plot.draw(found, tmp_path / "scaling.png")
    assert drawn.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (ROOT / "docs" / "img" / "scaling.png").exists()
