"""`make tick [DRY_RUN=1]`: run the scheduled job once against the running `make serve` stack and print its report.

The job runs in this process through `chalice.test.Client(app, stage_name="local")` (chalice local serves HTTP
only), with AWS_ENDPOINT_URL pointing at the emulator: the same table, buckets and SES as the served API.  The
stack is found in .serve/stack.json (written by `make serve`; $SERVE_STACK names another file), and links in the
mails the job sends point at its API; MOTO_PORT overrides the emulator's port.

    python -m scripts.tick [--dry-run] [--advance-days N]

--advance-days runs the job as if N days had passed (a fixed clock), e.g. to see a deletion's grace period end or
retention fall due without waiting; DRY_RUN=1 (or --dry-run) plans only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from typing import Any


def tick(*, port: str, dry_run: bool = False, advance_days: float = 0.0,
         settings: dict[str, str] | None = None) -> dict[str, Any]:
    from chalice.test import Client

    from app import app
    from chalicelib.container import Container, set_container
    from chalicelib.domain.clock import FixedClock
    from chalicelib.settings import get_settings
    from scripts.mail import use_emulator

    use_emulator(port, settings)
    if advance_days:
        set_container(Container(get_settings(), FixedClock(time.time() + advance_days * 86_400)))
    with Client(app, stage_name="local") as client:
        event = client.events.generate_cw_event(source="local.tick", detail_type="Scheduled Event",
                                                detail={"dry_run": dry_run}, resources=[])
        report: dict[str, Any] = client.lambda_.invoke("scheduled_job", event).payload
    set_container(None)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", default=os.environ.get("DRY_RUN", "") not in ("", "0"))
    parser.add_argument("--advance-days", type=float, default=float(os.environ.get("ADVANCE_DAYS") or 0))
    args = parser.parse_args(argv)
    from scripts.mail import NoStack, find_stack

    try:
        port, settings = find_stack(os.environ.get("MOTO_PORT") or None)
    except NoStack as error:
        print(f"tick not run: {error}", file=sys.stderr)
        return 1
    try:
        with contextlib.redirect_stdout(sys.stderr):  # logs and metrics: stdout is the result
            report = tick(port=port, dry_run=args.dry_run, advance_days=args.advance_days, settings=settings)
    except Exception as error:
        print(f"tick failed ({type(error).__name__}: {error}): is the emulator on 127.0.0.1:{port} running "
              "(`make serve`)?", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2, default=str))
    return 0 if report.get("status") in ("completed", "braked", "skipped_locked") else 1


if __name__ == "__main__":
    raise SystemExit(main())
