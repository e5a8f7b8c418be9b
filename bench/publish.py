"""`python -m bench.publish [--check]`: write (or check) the generated sections of docs/PERFORMANCE.md from the
bench's own JSON output (docs/bench/*.json, written with BENCH_JSON=...) and bench/costs.py.  Each section sits
between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`; tests/unit/test_performance_doc.py runs the check,
so the document cannot drift from the measured data or from the cost computation."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from bench import costs
from bench.__main__ import cells
from bench.common import ROOT, Row

DOC = ROOT / "docs" / "PERFORMANCE.md"
DATA = ROOT / "docs" / "bench"
SOURCES = {  # section -> (JSON file, the command that wrote it)
    "quick": ("quick.json", "BENCH_QUICK=1 BENCH_JSON=docs/bench/quick.json python -m bench"),
    "scaling": ("scaling.json", "BENCH_JSON=docs/bench/scaling.json python -m bench rows_05 rows_40"),
    "rights": ("rights.json", "BENCH_JSON=docs/bench/rights.json python -m bench rows_30"),
    "calls": ("calls.json", "BENCH_JSON=docs/bench/calls.json python -m bench rows_50"),
    "coldstart": ("coldstart.json", "BENCH_JSON=docs/bench/coldstart.json python -m bench coldstart"),
}


def _row(data: dict[str, Any]) -> Row:
    return Row(**data)


def bench_table(name: str) -> str:
    file, command = SOURCES[name]
    document = json.loads((DATA / file).read_text())
    head = (f"`{command}` — measured {document['measured_at']} on {document['machine']} (shared with other "
            "sessions' work: times are indicative; the round trips are exact).")
    lines = [head, "", "| benchmark | n | median | p99 | peak memory | notes |", "|---|---:|---:|---:|---:|---|"]
    for data in document["rows"]:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells(_row(data))) + " |")
    return "\n".join(lines)


def sections() -> dict[str, str]:
    found = {name: bench_table(name) for name, (file, _) in SOURCES.items() if (DATA / file).exists()}
    found["costs"] = costs.markdown(costs.load())
    return found


def render(text: str, generated: dict[str, str]) -> str:
    for name, body in generated.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n)(?:.*?\n)?(<!-- /generated:{name} -->)", re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"bench.publish: {DOC.name} has no generated:{name} section")
        text = pattern.sub(lambda match, b=body: match.group(1) + b + "\n" + match.group(2), text)
    return text


def main(argv: list[str]) -> int:
    current = DOC.read_text()
    wanted = render(current, sections())
    if "--check" in argv:
        if wanted != current:
            print(f"bench.publish: {DOC} is out of date: run `python -m bench.publish`", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
