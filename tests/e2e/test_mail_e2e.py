"""End to end on the served stack: `make mail` a deletion request -> reply with link -> verify -> `make tick` after
the grace period -> data gone -> receipt mailed.  Sent mail is read back from the emulator (moto-api/data.json)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from scripts.serve import ROOT, Stack, http_get

pytestmark = pytest.mark.e2e

TEMPLATE = ROOT / "tests" / "events" / "mail" / "plain-deletion-en.eml"


def _env(served: Stack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["MOTO_PORT"] = str(served.moto_port)
    return env


def _make(served: Stack, *args: str) -> dict[str, Any]:
    """Run a make target as a developer would (`-o` keeps make from reinstalling the venv)."""
    done = subprocess.run(["make", "-s", "-o", ".venv/.deps-stamp", *args, f"MOTO_PORT={served.moto_port}"],
                          cwd=ROOT, env=_env(served), capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _mail_to(served: Stack, address: str) -> list[EmailMessage]:
    status, body = http_get(served.mail_url, timeout=30)
    assert status == 200
    found: list[EmailMessage] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            raw = node.get("raw_data")
            if isinstance(raw, str) and address in (node.get("destinations") or []):
                found.append(message_from_bytes(raw.encode(), policy=policy.default))  # type: ignore[arg-type]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(body).get("ses", {}))
    return found


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_mailed_deletion_request_is_answered_verified_executed_and_receipted(served: Stack, tmp_path: Path) -> None:
    from chalicelib.domain.subjects import subject_id

    address = f"e2e.{uuid.uuid4().hex[:10]}@example.org"
    message = tmp_path / "deletion.eml"
    message.write_bytes(TEMPLATE.read_bytes().replace(b"jana.mueller@example.org", address.encode())
                        .replace(b"CAF8098FDD49A3442D9935F6112", uuid.uuid4().hex.encode()))

    delivered = _make(served, "mail", f"FILE={message}")
    assert delivered["ingest"] == {"outcomes": ["answered"]}

    (reply,) = _mail_to(served, address)
    assert reply["From"] == served.env["SENDER_EMAIL"] and reply["Subject"].startswith("Re: Request to delete")
    link = re.search(r"(https?://\S+/privacy-requests/verify\?token=[\w-]+)", _text(reply))
    assert link, _text(reply)
    url = link.group(1).replace(served.env["PUBLIC_BASE_URL"].rstrip("/"), served.api)
    status, page = http_get(url, timeout=30)  # the first page this API process renders (cold, 2 busy cores)
    assert status == 200 and b'method="post"' in page, page[:300]
    token = url.split("token=", 1)[1]
    confirm = urllib.request.Request(f"{served.api}/privacy-requests/verify", data=f"token={token}".encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST")
    with urllib.request.urlopen(confirm, timeout=30) as response:
        assert response.status == 200 and b"Request confirmed" in response.read()

    subject = subject_id(address, served.env["SUBJECT_PEPPER"])
    ddb = served.client("dynamodb")

    def subject_items() -> list[dict[str, Any]]:  # the subject's partition in both tables (data, keys)
        return [item for table in (served.env["TABLE_NAME"], served.env["KEYS_TABLE_NAME"])
                for item in ddb.query(TableName=table, KeyConditionExpression="pk = :p",
                                      ExpressionAttributeValues={":p": {"S": f"SUBJ#{subject}"}})["Items"]]

    kept = [item["sk"]["S"] for item in subject_items()]
    assert "KEY" in kept and any(sk.startswith("CORR#") for sk in kept)  # the correspondence is kept until erasure

    _make(served, "tick")  # still within the grace period: nothing of this subject goes
    assert "KEY" in [item["sk"]["S"] for item in subject_items()]

    # The stack is shared by every e2e module on this worker: other modules' verified deletions fall due too, so
    # the count is at least this one, and the subject's own partition below is what proves this one ran.
    report = _make(served, "tick", "ADVANCE_DAYS=8")
    assert report["requests"]["deletions"] >= 1, report

    left = [item["sk"]["S"] for item in subject_items()]
    assert "KEY" not in left and not any(sk.startswith("CORR#") for sk in left)
    assert "SUPPRESSED" in left
    receipts = [m for m in _mail_to(served, address) if m["Subject"] == "Your data has been erased"]
    assert len(receipts) == 1
    assert "Your data has been erased" in _text(receipts[0])
