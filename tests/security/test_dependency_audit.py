"""pip-audit of the pinned dependencies (pyproject's runtime and dev pins), where the vulnerability service answers.

- The service does not answer (no network, a closed index, a timeout): skipped with the reason; CI never fails
  because the network is absent.
- A known vulnerability fails the test unless it is listed, with a reason, in .pip-audit-ignore.
The decision (`verdict`) is tested on its own with recorded reports, so this module asserts something offline too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT

IGNORE_FILE = ROOT / ".pip-audit-ignore"
TIMEOUT_SECONDS = 60


def ignored() -> dict[str, str]:
    """ID -> reason, from .pip-audit-ignore (a line without a reason is an error)."""
    entries: dict[str, str] = {}
    for line in IGNORE_FILE.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        vuln_id, _, reason = line.strip().partition(" ")
        assert reason.strip(), f".pip-audit-ignore: {vuln_id} needs a reason"
        entries[vuln_id] = reason.strip()
    return entries


def verdict(report: dict[str, Any], accepted: dict[str, str]) -> tuple[str, list[str]]:
    """("skip", reasons) when nothing could be audited, else ("ok" | "fail", the unaccepted findings)."""
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        return "skip", sorted({d.get("skip_reason", "no dependencies") for d in dependencies})[:3]
    findings = [f"{d['name']} {d.get('version')}: {v['id']} (fixed in {', '.join(v.get('fix_versions') or []) or '-'})"
                for d in audited for v in d.get("vulns", [])
                if v["id"] not in accepted and not set(v.get("aliases") or []) & set(accepted)]
    return ("fail" if findings else "ok"), findings


def test_verdict_fails_on_a_vulnerability_unless_accepted_with_a_reason() -> None:
    vulnerable = {"dependencies": [
        {"name": "pyjwt", "version": "2.15.1", "vulns": [{"id": "PYSEC-0000-1", "aliases": ["CVE-0000-1"],
                                                          "fix_versions": ["2.15.2"]}]},
        {"name": "boto3", "version": "1.44.5", "vulns": []}]}
    assert verdict(vulnerable, {}) == ("fail", ["pyjwt 2.15.1: PYSEC-0000-1 (fixed in 2.15.2)"])
    assert verdict(vulnerable, {"CVE-0000-1": "not reachable: we never decode unverified tokens"}) == ("ok", [])
    offline = {"dependencies": [{"name": "boto3", "skip_reason": "Dependency not found on PyPI"}]}
    assert verdict(offline, {})[0] == "skip"
    assert verdict({"dependencies": []}, {})[0] == "skip"


def test_pinned_dependencies_have_no_known_vulnerability(tmp_path: Any) -> None:
    pytest.importorskip("pip_audit")
    accepted = ignored()
    pins = subprocess.run([sys.executable, str(ROOT / "scripts" / "deps.py"), "--dev"], check=True,
                          capture_output=True, text=True).stdout
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(pins)
    command = [sys.executable, "-m", "pip_audit", "-r", str(requirements), "--no-deps", "--disable-pip",
               "--progress-spinner", "off", "--format", "json", "--timeout", "10",
               *[arg for vuln_id in accepted for arg in ("--ignore-vuln", vuln_id)]]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.skip(f"pip-audit: the vulnerability service did not answer within {TIMEOUT_SECONDS} s")
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.skip(f"pip-audit could not reach the vulnerability service: {run.stderr.strip()[-300:]}")
    outcome, details = verdict(report, accepted)
    if outcome == "skip":
        pytest.skip(f"pip-audit: the package index did not answer for any pin ({'; '.join(details)})")
    assert outcome == "ok", "known vulnerabilities (fix, or list in .pip-audit-ignore with a reason):\n" + \
        "\n".join(details)
