"""`python -m bench.plot [JSON ...]`: the scaling rows drawn from the bench's own output (BENCH_JSON files, later
files overriding earlier rows of the same name): time and DynamoDB round trips against items, log-scaled items,
written to docs/img/scaling.png.  matplotlib (Agg backend) is a dev dependency used here only: the app and its
Lambda cold start never import it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from bench.common import ROOT

DEFAULT_INPUTS = [ROOT / "docs" / "bench" / name for name in ("quick.json", "scaling.json", "rights.json")]
OUTPUT = ROOT / "docs" / "img" / "scaling.png"
SERIES = {  # label -> the rows' name pattern (items in the row's structured `items` field)
    "emulator: TransactWriteItems among N items of the table": re.compile(r"^emulator: TransactWriteItems"),
    "export of a subject with N items": re.compile(r"^rights: export subject \(\d+ items\)$"),
    "erasure of a subject with N items": re.compile(r"^rights: erase subject \(\d+ items\)$"),
    "retention run, 1 000 due among N live items": re.compile(r"^retention run: "),
}


def load_rows(paths: list[Path]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for path in paths:
        if path.exists():
            for row in json.loads(path.read_text())["rows"]:
                rows[row["benchmark"]] = row
    return list(rows.values())


def series(rows: list[dict[str, Any]]) -> dict[str, list[tuple[int, float, float]]]:
    """label -> [(items, median ms, round trips)] sorted by items."""
    found: dict[str, list[tuple[int, float, float]]] = {}
    for label, pattern in SERIES.items():
        points = [(int(row["items"]), float(row["median_ms"]), float(row["round_trips"])) for row in rows
                  if pattern.search(row["benchmark"]) and row.get("items") and row.get("round_trips") is not None]
        if points:
            found[label] = sorted(points)
    return found


def draw(found: dict[str, list[tuple[int, float, float]]], output: Path = OUTPUT) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (times, trips) = pyplot.subplots(1, 2, figsize=(11, 4.8), dpi=100)
    for label, points in found.items():
        items = [p[0] for p in points]
        times.plot(items, [p[1] for p in points], marker="o", label=label)
        trips.plot(items, [p[2] for p in points], marker="o", label=label)
    for axes, title, unit in ((times, "time per operation (median)", "ms (log)"),
                              (trips, "DynamoDB round trips per operation", "round trips (log)")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("items (log)")
        axes.set_ylabel(unit)
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
    handles, labels = trips.get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False)
    figure.suptitle("make bench scaling rows (emulator, shared 2-core machine): round trips flat in the table's "
                    "size, growing only with a subject's own items", fontsize=10)
    figure.tight_layout(rect=(0, 0.1, 1, 1))
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, metadata={"Software": None})  # no version stamp: the PNG changes only with the data
    pyplot.close(figure)
    return output


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or DEFAULT_INPUTS
    found = series(load_rows(paths))
    if not found:
        print(f"bench.plot: no scaling rows in {[str(p) for p in paths]}", file=sys.stderr)
        return 2
    print(draw(found))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
