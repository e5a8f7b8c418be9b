"""Operator command line for privacy requests (needs AWS credentials, or the local emulator).

    python -m chalicelib.cli list [--all]                 open requests by due date, with days left
    python -m chalicelib.cli show REQUEST_ID              one request with its audit trail
    python -m chalicelib.cli extend REQUEST_ID --reason TEXT
    python -m chalicelib.cli complete REQUEST_ID --note TEXT   (correction requests)
    python -m chalicelib.cli deny REQUEST_ID --reason TEXT
    python -m chalicelib.cli cancel REQUEST_ID --reason TEXT
    python -m chalicelib.cli run [--dry-run]              the scheduled request work, once

Against `make serve`: `--stage local` loads the local stage's settings from .chalice/config.json and, unless
AWS_ENDPOINT_URL is set, points at the emulator on 127.0.0.1:$MOTO_PORT (5000).  The operator's name for the audit
trail comes from --operator (default: $USER).  Output never contains personal data.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from chalicelib.domain.clock import iso
from chalicelib.domain.requests import days_left
from chalicelib.errors import DomainError


def _load_stage(stage: str) -> None:
    config = json.loads((Path(__file__).resolve().parent.parent / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    for key, value in env.items():
        os.environ.setdefault(key, value)
    if stage == "local":
        os.environ.setdefault("AWS_ENDPOINT_URL", f"http://127.0.0.1:{os.environ.get('MOTO_PORT', '5000')}")
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


def _list(container: Any, args: argparse.Namespace, out: TextIO) -> int:
    from chalicelib.services.privacy_requests import requests_repository

    now = container.now()
    requests = requests_repository(container).open_requests(now=now, limit=args.limit)
    if not requests:
        print("no open requests", file=out)
        return 0
    print(f"{'REQUEST':<34} {'TYPE':<10} {'STATUS':<11} {'CHANNEL':<8} {'DUE (UTC)':<21} DAYS LEFT", file=out)
    for request in requests:
        left = days_left(request.due_at, now)
        flag = "  OVERDUE" if request.overdue(now) else ("  extended" if request.extended else "")
        print(f"{request.request_id:<34} {request.type.value:<10} {request.status.value:<11} "
              f"{request.channel.value:<8} {iso(request.due_at):<21} {left:>4}{flag}", file=out)
    return 0


def _show(container: Any, args: argparse.Namespace, out: TextIO) -> int:
    from chalicelib.services import privacy_requests as service

    now = container.now()
    request = service.get_request(container, args.request_id, now=now)
    view = service.describe(request, now=now)
    for key, value in view.items():
        print(f"{key:>16}: {value}", file=out)
    receipt = request.result.get("receipt")
    if receipt:
        print(f"{'receipt':>16}: {json.dumps(receipt, sort_keys=True)}", file=out)
    print("audit:", file=out)
    for entry in service.audit_trail(container, args.request_id, now=now):
        move = f"{entry.from_status or '-'} -> {entry.to_status}"
        print(f"  {iso(entry.at)}  {move:<26} {entry.actor:<22} {entry.reason}", file=out)
    return 0


def _action(name: str) -> Callable[[Any, argparse.Namespace, TextIO], int]:
    def run(container: Any, args: argparse.Namespace, out: TextIO) -> int:
        from chalicelib.services import privacy_requests as service

        now, actor = container.now(), f"operator:{args.operator}"
        if name == "extend":
            request = service.extend_request(container, request_id=args.request_id, reason=args.reason,
                                             actor=actor, now=now)
            print(f"{request.request_id} extended: due {iso(request.due_at)} "
                  f"(notice {'sent' if request.extension_notice_sent else 'queued'})", file=out)
        elif name == "complete":
            request = service.complete_correction(container, request_id=args.request_id, note=args.note,
                                                  actor=actor, now=now)
            print(f"{request.request_id} {request.status.value}", file=out)
        elif name == "deny":
            request = service.deny_request(container, request_id=args.request_id, reason=args.reason, actor=actor,
                                           now=now)
            print(f"{request.request_id} {request.status.value}", file=out)
        else:
            request = service.get_request(container, args.request_id, now=now)
            request = service.cancel(container, request, actor=actor, reason=args.reason, now=now)
            print(f"{request.request_id} {request.status.value}", file=out)
        return 0

    return run


def _run(container: Any, args: argparse.Namespace, out: TextIO) -> int:
    from chalicelib.services.privacy_requests import run_scheduled_request_work

    counts = run_scheduled_request_work(container, now=container.now(), dry_run=args.dry_run)
    print(json.dumps(counts, sort_keys=True), file=out)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="Privacy requests (operator).")
    root.add_argument("--stage", help="load this stage's settings from .chalice/config.json (e.g. local)")
    root.add_argument("--operator", default=None, help="operator name recorded in the audit trail")
    commands = root.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="open requests by due date")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(handler=_list)
    show = commands.add_parser("show", help="one request with its audit trail")
    show.add_argument("request_id")
    show.set_defaults(handler=_show)
    for name, text_arg in (("extend", "--reason"), ("complete", "--note"), ("deny", "--reason"),
                           ("cancel", "--reason")):
        command = commands.add_parser(name)
        command.add_argument("request_id")
        command.add_argument(text_arg, required=True)
        command.set_defaults(handler=_action(name))
    run = commands.add_parser("run", help="run the scheduled request work once")
    run.add_argument("--dry-run", action="store_true")
    run.set_defaults(handler=_run)
    return root


def main(argv: Sequence[str] | None = None, *, container: Any = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    args.operator = args.operator or _user()
    stream = out or sys.stdout
    if container is None:
        if args.stage:
            _load_stage(args.stage)
        from chalicelib.container import get_container

        container = get_container()
    try:
        return int(args.handler(container, args, stream))
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr if out is None else stream)
        return 2


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
