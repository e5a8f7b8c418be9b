"""`python -m bench [WORD ...]`: run every bench/rows_*.py (or those whose name contains a WORD) and print one table.
With BENCH_JSON=path the rows are also written there as JSON (with their structured figures: items, round trips,
AWS calls by service), the input of `python -m bench.plot` and `python -m bench.costs`."""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import IO

from bench.common import Row

HERE = Path(__file__).resolve().parent
COLUMNS = ("benchmark", "n", "median", "p99", "peak memory", "notes")


def row_modules(words: list[str]) -> list[str]:
    names = sorted(info.name for info in pkgutil.iter_modules([str(HERE)]) if info.name.startswith("rows_"))
    return [name for name in names if not words or any(word in name for word in words)]


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} ms" if value >= 100 else f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} MiB"


def cells(row: Row) -> tuple[str, ...]:
    return (row.benchmark, str(row.n), _ms(row.median_ms), _ms(row.p99_ms), _mib(row.peak_mib), row.notes)


def table(rows: list[Row]) -> str:
    lines = [COLUMNS, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS) - 1)]
    right = {1, 2, 3, 4}

    def render(line: tuple[str, ...]) -> str:
        parts = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(line[:-1])]
        return "  ".join([*parts, line[-1]]).rstrip()

    rule = "  ".join("-" * width for width in widths) + "  " + "-" * len(COLUMNS[-1])
    return "\n".join([render(lines[0]), rule, *(render(line) for line in lines[1:])])


def table_output() -> IO[str]:
    """The table goes to the real stdout; everything else written to stdout while benchmarks run (logs, EMF
    metrics, from Python or not) goes to stderr, so `make bench > table.txt` captures only the table."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(saved, "w")


def main(argv: list[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    modules = row_modules(words)
    if not modules:
        print(f"bench: no bench/rows_*.py module matches {words}", file=sys.stderr)
        return 2
    output = table_output()
    rows: list[Row] = []
    failed = 0
    for name in modules:
        started = time.perf_counter()
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(importlib.import_module(f"bench.{name}").rows())
        except Exception as error:  # one broken module must not hide the others' results
            failed += 1
            traceback.print_exc()
            rows.append(Row(name, 0, None, None, None, f"FAILED: {type(error).__name__}: {error}"))
        print(f"bench: {name} done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    sys.stdout.flush()
    print(table(rows), file=output, flush=True)
    if os.environ.get("BENCH_JSON"):
        write_json(Path(os.environ["BENCH_JSON"]), rows, modules)
    return 1 if failed else 0


def write_json(path: Path, rows: list[Row], modules: list[str]) -> None:
    document = {
        "measured_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": os.environ.get("BENCH_QUICK") == "1",
        "modules": modules,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "rows": [dataclasses.asdict(row) for row in rows],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
