"""The operator CLI (python -m chalicelib.cli) against the emulated table."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib import cli
from chalicelib.cli import main
from chalicelib.domain.retention import DAY
from chalicelib.services import privacy_requests as service
from tests.conftest import NOW


@pytest.fixture(autouse=True)
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """`list` sizes its table to the terminal ($COLUMNS first): a common width, whatever runs the tests."""
    monkeypatch.setenv("COLUMNS", "80")


def run(container: Any, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--operator", "dpo", *argv], container=container, out=out)
    return code, out.getvalue()


def submit(container: Any, kind: str, address: str) -> str:
    submitted = service.submit_request(container, email=address, request_type=kind, channel="account",
                                       received_at=NOW, needs_verification=False)
    service.fulfil_safely(container, service.get_request(container, submitted.request_id, now=NOW), now=NOW)
    return submitted.request_id


def test_list_shows_open_requests_by_due_date_with_days_left(container: Any) -> None:
    correction = submit(container, "correction", "a@example.com")
    deletion = submit(container, "deletion", "b@example.com")
    extended = submit(container, "correction", "c@example.com")
    service.extend_request(container, request_id=extended, reason="complex", actor="operator:dpo", now=NOW)
    container.clock.advance(29 * DAY)
    code, out = run(container, "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("REQUEST")
    assert [line.split()[0] for line in lines[1:]] in ([correction, deletion, extended],
                                                       [deletion, correction, extended])
    assert " 1" in lines[1] and "extended" in lines[3]
    assert "@" not in out


def test_show_prints_the_audit_trail(container: Any) -> None:
    request_id = submit(container, "correction", "a@example.com")
    code, out = run(container, "show", request_id)
    assert code == 0 and "correction" in out and "pending -> in_progress" in out and "@" not in out


def test_extend_complete_deny_cancel(container: Any) -> None:
    correction = submit(container, "correction", "a@example.com")
    code, out = run(container, "extend", correction, "--reason", "waiting for the store")
    assert code == 0 and "extended: due 2027-02-21" in out and "notice sent" in out
    code, out = run(container, "extend", correction, "--reason", "again")
    assert code == 1 and "already extended" in out
    code, out = run(container, "complete", correction, "--note", "name fixed in WooCommerce")
    assert code == 0 and out.strip().endswith("completed")
    _, shown = run(container, "show", correction)
    assert "operator:dpo" in shown and "name fixed in WooCommerce" in shown
    access = submit(container, "correction", "b@example.com")
    assert run(container, "deny", access, "--reason", "manifestly unfounded")[1].strip().endswith("denied")
    deletion = submit(container, "deletion", "c@example.com")
    assert run(container, "cancel", deletion, "--reason", "asked by phone")[1].strip().endswith("cancelled")
    code, out = run(container, "list")
    assert out.strip() == "no open requests"


def test_unknown_request_is_an_error(container: Any) -> None:
    code, out = run(container, "show", "nope")
    assert code == 1 and "no such request" in out


def test_run_once(container: Any) -> None:
    code, out = run(container, "run", "--dry-run")
    assert code == 0 and '"deletions": 0' in out


# -- help ----------------------------------------------------------------------------------------------------------
COMMANDS = {
    "list": ["--limit", "--json"],
    "show": ["REQUEST_ID", "--json"],
    "extend": ["REQUEST_ID", "--reason"],
    "complete": ["REQUEST_ID", "--note"],
    "deny": ["REQUEST_ID", "--reason"],
    "cancel": ["REQUEST_ID", "--reason"],
    "run": ["--dry-run"],
}


def help_text(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main([*argv, "--help"], out=out), out.getvalue()  # no container: help needs no backend


def test_help_on_the_group_names_every_command_the_options_and_the_exit_codes() -> None:
    code, out = help_text()
    assert code == 0 and out.startswith("Usage: python -m chalicelib.cli [OPTIONS] COMMAND")
    assert "--stage" in out and "--operator" in out
    listed = out.split("Commands:")[1]
    assert all(f"\n  {name} " in listed for name in COMMANDS)
    assert "Exit codes:" in out and all(f"  {code}  " in out for code in range(4))
    short = io.StringIO()
    assert main(["-h"], out=short) == 0 and short.getvalue() == out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_on_each_command_says_what_it_does_and_names_its_arguments(command: str) -> None:
    code, out = help_text(command)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith(f"Usage: python -m chalicelib.cli {command} [OPTIONS]")
    assert lines[1] == "" and lines[2].strip()  # the one-line summary
    assert all(name in out for name in COMMANDS[command])
    if "REQUEST_ID" in COMMANDS[command]:
        assert "REQUEST_ID is the" in out  # what the argument means
    assert "Exit codes:" in out


# -- exit codes ----------------------------------------------------------------------------------------------------
def test_domain_errors_exit_1_with_the_message_on_stderr(container: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "nope"], container=container) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "error: no such request\n"
    correction = submit(container, "correction", "a@example.com")
    assert main(["--operator", "dpo", "complete", correction, "--note", "fixed"], container=container) == 0
    assert capsys.readouterr().out.strip().endswith("completed")
    assert main(["cancel", correction, "--reason", "too late"], container=container) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "@" not in captured.err  # the service's JSON logs go to stderr too
    assert captured.err.splitlines()[-1] == "error: a completed request cannot be cancelled"


@pytest.mark.parametrize("argv", [
    [], ["nope"], ["show"], ["extend", "abc"], ["complete", "abc"], ["list", "--limit", "0"], ["list", "--wide"],
    ["--stage", "nowhere", "list"],
])
def test_usage_errors_exit_2(container: Any, argv: list[str]) -> None:
    code, out = run(container, *argv)
    assert code == 2 and "Usage: python -m chalicelib.cli" in out


def test_usage_errors_go_to_stderr(container: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extend", "abc"], container=container) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Error: Missing option '--reason'" in captured.err


def test_storage_unreachable_exits_3(aws: dict[str, str], clock: Any) -> None:
    from chalicelib.container import Container
    from chalicelib.settings import get_settings

    missing = Container(get_settings().model_copy(update={"table_name": "no-such-table"}), clock)
    for argv in (["list"], ["show", "abc"], ["run", "--dry-run"]):
        code, out = run(missing, *argv)
        assert code == 3 and out.startswith("error: storage"), (argv, out)


def test_missing_configuration_exits_3(local_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.settings import get_settings

    monkeypatch.delenv("TABLE_NAME")
    get_settings.cache_clear()
    out = io.StringIO()
    assert main(["list"], out=out) == 3  # no container given: built from the environment
    assert out.getvalue().startswith("error: invalid configuration: TABLE_NAME")
    assert "--stage" in out.getvalue()  # the hint


# -- the table fits the terminal -----------------------------------------------------------------------------------
def busy(container: Any) -> list[str]:
    """Four open requests, three of them overdue and one extended (after the clock moves on 40 days)."""
    ids = [submit(container, kind, f"{n}@example.com")
           for n, kind in enumerate(("correction", "deletion", "deletion", "correction"))]
    service.extend_request(container, request_id=ids[3], reason="complex", actor="operator:dpo", now=NOW)
    container.clock.advance(40 * DAY)
    return ids


@pytest.mark.parametrize("columns", [60, 72, 80, 100])
def test_list_fits_a_narrow_terminal(container: Any, monkeypatch: pytest.MonkeyPatch, columns: int) -> None:
    ids = busy(container)
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out = run(container, "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 1 + len(ids) and lines[0].startswith("REQUEST")
    assert all(len(line) <= columns for line in lines), [len(line) for line in lines]
    assert "OVERDUE" in out and "extended" in out and "@" not in out
    if columns >= 80:  # the ids stay whole at the usual width
        assert {line.split()[0] for line in lines[1:]} == set(ids)
    else:
        assert "…" in out


def test_list_cuts_nothing_on_a_wide_or_unknown_terminal(container: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = busy(container)
    monkeypatch.setenv("COLUMNS", "200")
    wide = run(container, "list")[1]
    monkeypatch.delenv("COLUMNS")
    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback: os.terminal_size(fallback))  # piped
    piped = run(container, "list")[1]
    for out in (wide, piped):
        header, *rows = out.splitlines()
        assert header == "REQUEST" + " " * 27 + "TYPE        STATUS       CHANNEL  DUE (UTC)             DAYS LEFT"
        assert "…" not in out and {row.split()[0] for row in rows} == set(ids)
        for row in rows:  # aligned: each value starts under its heading
            cells = row.split()
            assert [row.index(cell) for cell in cells[1:5]] == [header.index(name) for name in
                                                                 ("TYPE", "STATUS", "CHANNEL", "DUE")]
        assert "2026-12-23T12:00:00Z   -10 OVERDUE" in out and "2027-02-21T12:00:00Z    50 extended" in out


@pytest.mark.parametrize("width", [1, 10, 30, 45, 60])
def test_table_never_exceeds_the_width(width: int) -> None:
    rows = [["f" * 32, "correction", "in_progress", "account", "2026-12-23T12:00:00Z", "  -9 OVERDUE"]]
    lines = cli.table(["REQUEST", "TYPE", "STATUS", "CHANNEL", "DUE (UTC)", "DAYS LEFT"], rows, width=width)
    assert len(lines) == 2 and all(0 < len(line) <= width for line in lines)


# -- JSON ----------------------------------------------------------------------------------------------------------
def test_list_json(container: Any) -> None:
    ids = busy(container)
    code, out = run(container, "list", "--json")
    found = json.loads(out)
    assert code == 0 and [row["request_id"] for row in found].count(ids[3]) == 1 and len(found) == 4
    extended = next(row for row in found if row["request_id"] == ids[3])
    assert extended == {"request_id": ids[3], "type": "correction", "status": "in_progress", "channel": "account",
                        "due_at": "2027-02-21T12:00:00Z", "days_left": 50, "overdue": False, "extended": True,
                        "child": False}
    assert sum(row["overdue"] for row in found) == 3 and "@" not in out
    assert json.loads(run(container, "list", "--json", "--limit", "1")[1])[0] == found[0]


def test_list_json_when_nothing_is_open(container: Any) -> None:
    assert run(container, "list", "--json") == (0, "[]\n")


def test_show_json(container: Any) -> None:
    request_id = submit(container, "correction", "a@example.com")
    run(container, "complete", request_id, "--note", "name fixed")
    code, out = run(container, "show", request_id, "--json")
    shown = json.loads(out)
    assert code == 0 and "@" not in out
    assert shown["request"]["request_id"] == request_id and shown["request"]["status"] == "completed"
    assert [entry["to_status"] for entry in shown["audit"]][-2:] == ["in_progress", "completed"]
    assert shown["audit"][-1]["actor"] == "operator:dpo" and shown["audit"][-1]["reason"].endswith("name fixed")
    assert shown["audit"][0]["at"] == "2026-11-23T12:00:00Z"


def test_stdout_is_only_the_result_the_logs_go_to_stderr(container: Any,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib.observability import logger

    request_id = submit(container, "correction", "a@example.com")
    handler: Any = logger.registered_handler
    previous = handler.setStream(sys.stdout)  # as when the CLI runs in a terminal
    try:
        assert main(["extend", request_id, "--reason", "complex"], container=container) == 0
        assert handler.stream is sys.stdout  # put back
    finally:
        handler.setStream(previous)
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"{request_id} extended: due 2027-02-21T12:00:00Z (notice sent)"]
    assert "privacy request extended" in captured.err


# -- --stage local -------------------------------------------------------------------------------------------------
@pytest.fixture
def stack_file(tmp_path: Path) -> Path:
    """Where `make serve` would write its stack.json ($SERVE_STACK), so that a running `make serve` changes nothing."""
    return tmp_path / "stack.json"


def test_stage_local_points_at_the_served_emulator(stack_file: Path) -> None:
    stack_file.write_text(json.dumps({"moto": "http://127.0.0.1:5123", "api": "http://127.0.0.1:8123",
                                      "settings": {"PUBLIC_BASE_URL": "http://127.0.0.1:8123"}}))
    env = cli.stage_environment("local", {"SERVE_STACK": str(stack_file), "MOTO_PORT": "5999"})
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5123" and env["PUBLIC_BASE_URL"] == "http://127.0.0.1:8123"
    assert env["TABLE_NAME"] == "privacy-backend-local" and env["AWS_ACCESS_KEY_ID"] == "testing"


def test_stage_local_without_a_served_stack_uses_moto_port(stack_file: Path) -> None:
    env = cli.stage_environment("local", {"SERVE_STACK": str(stack_file)})
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000" and env["PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"
    env = cli.stage_environment("local", {"SERVE_STACK": str(stack_file), "MOTO_PORT": "5999"})
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5999"


def test_stage_never_replaces_what_the_environment_says(stack_file: Path) -> None:
    stack_file.write_text(json.dumps({"moto": "http://127.0.0.1:5123"}))
    given = {"SERVE_STACK": str(stack_file), "AWS_ENDPOINT_URL": "http://elsewhere:4566", "TABLE_NAME": "mine"}
    env = cli.stage_environment("local", given)
    assert "AWS_ENDPOINT_URL" not in env and "TABLE_NAME" not in env and env["STAGE"] == "local"
    dev = cli.stage_environment("dev", {})
    assert dev["STAGE"] == "dev" and "AWS_ENDPOINT_URL" not in dev
