"""The served stack (`make serve` / the `served` fixture): health, state kept across API restarts, clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts.serve import ROOT, Stack, free_port, http_get, is_listening, start

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
        while http_get(f"http://127.0.0.1:{port}/health")[0] != 200:
            assert process.poll() is None, process.communicate()[0].decode(errors="replace")
            assert time.monotonic() < deadline, "the stack did not come up"
            time.sleep(0.2)
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
