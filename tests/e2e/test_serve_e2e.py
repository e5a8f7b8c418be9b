"""The served stack (`make serve` / the `served` fixture): health, state kept across API restarts, clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from scripts.serve import OVERRIDES_ENV, ROOT, STACK_FILE_ENV, Stack, free_port, http_get, is_listening, start

pytestmark = pytest.mark.e2e


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_health_is_200_with_the_table_reachable(served: Stack) -> None:
    status, body = http_get(f"{served.api}/health")
    assert status == 200, body
    assert json.loads(body) == {"status": "ok", "version": served.env["APP_VERSION"], "stage": "local",
                                "table": "reachable"}


def test_the_emulator_holds_the_resources_named_in_the_local_stage(served: Stack) -> None:
    table = served.client("dynamodb").describe_table(TableName=served.env["TABLE_NAME"])["Table"]
    assert table["TableStatus"] == "ACTIVE"
    buckets = {b["Name"] for b in served.client("s3").list_buckets()["Buckets"]}
    assert {served.env["EXPORTS_BUCKET"], served.env["INBOUND_BUCKET"]} <= buckets
    status, body = http_get(f"{served.moto}/moto-api/data.json")
    assert status == 200 and "ses" in json.loads(body)


def _preflight(api: str, origin: str) -> str | None:
    """The Access-Control-Allow-Origin the API answers a CORS preflight of POST /consent from `origin` with."""
    request = urllib.request.Request(f"{api}/consent", method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            allowed = response.headers.get("Access-Control-Allow-Origin")
    except urllib.error.HTTPError as error:
        allowed = error.headers.get("Access-Control-Allow-Origin")
    return str(allowed) if allowed else None


def test_the_api_runs_with_the_served_url_in_links_and_origins(served: Stack) -> None:
    assert served.env["PUBLIC_BASE_URL"] == served.api
    assert served.api in served.env["ALLOWED_ORIGINS"].split(",")
    assert served.api_process is not None
    # What the API process was started with: chalice local puts .chalice/config.json over its environment, so the
    # served URL settings travel in SERVE_ENV_OVERRIDES and are applied after chalice's (scripts.serve.chalice_local)
    started = dict(entry.split("=", 1) for entry in
                   Path(f"/proc/{served.api_process.pid}/environ").read_text().split("\0") if "=" in entry)
    assert json.loads(started[OVERRIDES_ENV])["PUBLIC_BASE_URL"] == served.api
    # ...and the app in that process has them: its origin is allowed, an unknown one is not.
    assert _preflight(served.api, served.api) == served.api
    assert _preflight(served.api, "http://127.0.0.1:1") is None


def _make(target: str, stack_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`make <target>` as a developer runs it (no MOTO_PORT; `-o` keeps make from reinstalling the venv)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "MOTO_PORT"}
    env[STACK_FILE_ENV] = str(stack_file)
    return subprocess.run(["make", "-s", "-o", ".venv/.deps-stamp", "-o", ".venv/.serve-stamp", target, *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)


def test_the_emulator_runs_with_the_emulator_patch(served: Stack) -> None:
    """`make serve` starts moto through `python -m emulator.server`: a repeated ClientRequestToken is not applied
    twice (moto alone would), see docs/local-stack.md."""
    ddb = served.client("dynamodb")
    key = {"pk": {"S": f"E2E#token#{time.time_ns()}"}, "sk": {"S": "A"}}
    update = [{"Update": {"TableName": served.env["TABLE_NAME"], "Key": key, "UpdateExpression": "ADD n :one",
                          "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    token = f"e2e-{time.time_ns()}"
    ddb.transact_write_items(TransactItems=update, ClientRequestToken=token)
    ddb.transact_write_items(TransactItems=update, ClientRequestToken=token)
    assert ddb.get_item(TableName=served.env["TABLE_NAME"], Key=key)["Item"]["n"] == {"N": "1"}
    assert served.moto_process is not None
    assert "emulator.server" in Path(f"/proc/{served.moto_process.pid}/cmdline").read_text()


def test_restarting_the_api_keeps_the_state_and_stop_frees_both_ports(tmp_path: Path) -> None:
    stack = start(log_dir=tmp_path)
    try:
        assert stack.api_process is not None and stack.moto_process is not None
        pids = [stack.api_process.pid, stack.moto_process.pid]
        ddb = stack.client("dynamodb")
        key = {"pk": {"S": "E2E#restart"}, "sk": {"S": "A"}}
        ddb.put_item(TableName=stack.env["TABLE_NAME"], Item=key)

        stack.restart_api()
        assert stack.api_process.pid != pids[0]
        pids.append(stack.api_process.pid)
        assert http_get(f"{stack.api}/health")[0] == 200
        assert ddb.get_item(TableName=stack.env["TABLE_NAME"], Key=key).get("Item") == key
    finally:
        stack.stop()
    assert not is_listening(stack.api_port)
    assert not is_listening(stack.moto_port)
    assert all(_gone(pid) for pid in pids)


def test_make_serve_stops_everything_on_sigint(tmp_path: Path) -> None:
    port, moto_port = free_port(), free_port()
    while moto_port == port:
        moto_port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.serve", "--port", str(port), "--moto-port", str(moto_port),
         "--state-dir", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 45
        while http_get(f"http://127.0.0.1:{port}/health")[0] != 200 or not (tmp_path / "stack.json").exists():
            assert process.poll() is None, process.communicate()[0].decode(errors="replace")
            assert time.monotonic() < deadline, "the stack did not come up"
            time.sleep(0.2)
        state = json.loads((tmp_path / "stack.json").read_text())
        assert state["api"] == f"http://127.0.0.1:{port}" and state["moto"] == f"http://127.0.0.1:{moto_port}"
        assert state["settings"]["PUBLIC_BASE_URL"] == f"http://127.0.0.1:{port}"
        assert _preflight(state["api"], state["api"]) == state["api"]
        planned = _make("tick", tmp_path / "stack.json", "DRY_RUN=1")  # found through stack.json, no MOTO_PORT
        assert planned.returncode == 0, planned.stderr[-2000:]
        assert json.loads(planned.stdout)["status"] == "completed"
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode(errors="replace")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, output
    assert f"ports {port} and {moto_port} are free" in output
    assert not is_listening(port)
    assert not is_listening(moto_port)
    assert not (tmp_path / "stack.json").exists()
    stopped = _make("tick", tmp_path / "stack.json", "DRY_RUN=1")
    assert stopped.returncode != 0 and "no running stack found" in stopped.stderr, stopped.stderr
    assert "make serve" in stopped.stderr


def test_store_policy_names_the_store_that_is_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    monkeypatch.setenv("STORE_POLICY", "policies/jetrack.toml")  # as `make serve STORE_POLICY=...` passes it
    stack = start(log_dir=tmp_path)
    try:
        assert stack.env["STORE_POLICY"] == "policies/jetrack.toml"
        status, body = http_get(f"{stack.api}/consent/{uuid.uuid4()}", timeout=30)
        assert status == 200, body
        assert json.loads(body)["current_policy_version"] == "2025-12-21"  # Jetrack's, not the default's
    finally:
        stack.stop()


def test_serve_refuses_an_invalid_policy_with_its_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scripts.serve import ServeError

    text = (ROOT / "policies" / "jetcards.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('retention = "6 months"\nat_expiry = "delete"\nceiling = "6 months"',
                                'retention = "400 days"\nat_expiry = "delete"\nceiling = "6 months"'))
    monkeypatch.setenv("STORE_POLICY", str(bad))
    ports = free_port(), free_port()
    with pytest.raises(ServeError, match=r"categories\.analytics\.retention: 400 days exceeds the promised ceiling"):
        start(port=ports[0], moto_port=ports[1], log_dir=tmp_path)
    assert not is_listening(ports[0]) and not is_listening(ports[1])  # nothing started on a half-valid policy
