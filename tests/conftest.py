"""Shared fixtures.

- `local_env`: the `local` stage's environment from .chalice/config.json (what `chalice local` and
  `chalice.test.Client` use), with caches reset.
- `aws`: moto in-process with every resource provisioned from infra/template.json (the production definition).
- `clock`: a FixedClock; `container`: the composition root on moto with that clock, installed for handlers.
- `client`: `chalice.test.Client` for functional tests.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import LOG_SCAN_DIR

ROOT = Path(__file__).resolve().parent.parent
EVENTS = Path(__file__).resolve().parent / "events"

# Never talk to a real AWS account from tests.
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_name, None)
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "PrivacyBackendTest"
os.environ["POWERTOOLS_DEV"] = "false"

# 2026-11-23T12:00:00Z: tests run on a fixed clock.
NOW = 1_795_435_200


def event_path(name: str) -> Path:
    return EVENTS / name


def load_event(name: str) -> Any:
    return json.loads(event_path(name).read_text())


def stage_env(stage: str = "local") -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def reset_caches() -> None:
    from chalicelib import aws
    from chalicelib.container import set_container
    from chalicelib.handlers import middleware
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
    aws.reset_clients()
    set_container(None)
    middleware.reset_started()


@pytest.fixture
def local_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    env = stage_env("local")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    yield env
    reset_caches()


@pytest.fixture
def aws(local_env: dict[str, str]) -> Iterator[dict[str, str]]:
    from moto import mock_aws

    import emulator
    from infra.provision import provision

    emulator.install()
    with mock_aws():
        outputs = provision()
        yield outputs


@pytest.fixture
def clock() -> Any:
    from chalicelib.domain.clock import FixedClock

    return FixedClock(NOW)


@pytest.fixture
def container(aws: dict[str, str], clock: Any) -> Iterator[Any]:
    from chalicelib.container import Container, set_container
    from chalicelib.settings import get_settings

    built = Container(get_settings(), clock)
    set_container(built)
    yield built
    set_container(None)


@pytest.fixture
def client(container: Any) -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local") as test_client:
        yield test_client


@pytest.fixture
def table_items(aws: dict[str, str]) -> Any:
    """Every raw item stored, in the data table and the keys table (a Scan, allowed in tests only), to check what
    is really stored."""
    import boto3

    from chalicelib.storage.attributes import from_attributes

    def items() -> list[dict[str, Any]]:
        ddb = boto3.client("dynamodb", region_name="eu-west-1")
        found: list[dict[str, Any]] = []
        for table in (aws["TableName"], aws["KeysTableName"]):
            for page in ddb.get_paginator("scan").paginate(TableName=table):
                found.extend(from_attributes(raw) for raw in page["Items"])
        return found

    return items


@pytest.fixture
def log_output() -> Iterator[Any]:
    """Everything the service logger writes during the test, as one string (call it)."""
    import io
    import logging

    from chalicelib.observability import logger

    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)  # type: ignore[attr-defined]
    level = logger.log_level
    logger.setLevel(logging.DEBUG)
    yield buffer.getvalue
    logger.setLevel(level)
    handler.setStream(previous)  # type: ignore[attr-defined]


# -- BitPay (begin) -------------------------------------------------------------------------------------------------
@pytest.fixture
def bitpay_server(local_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The fake BitPay API on 127.0.0.1 (free port), configured through BITPAY_API_BASE (it expects the local
    stage's BITPAY_API_TOKEN).
    Request it before `client`/`container` so that the container reads these settings."""
    from chalicelib.settings import get_settings
    from tests.fakes import bitpay_api

    fake, server = bitpay_api.start()
    monkeypatch.setenv("BITPAY_API_BASE", fake.base)
    monkeypatch.setenv("BITPAY_API_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    yield fake
    bitpay_api.stop(server)
# -- BitPay (end) ---------------------------------------------------------------------------------------------------


# -- processor APIs (fake GA4 with its token endpoint, fake Botpress) on 127.0.0.1 ---------------------------------
@pytest.fixture
def google_api(local_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Fake Google token endpoint + GA4 user deletion API; the service account key it trusts is put in
    GA4_SERVICE_ACCOUNT and the base URL in GA4_API_BASE.  Request it before `client`/`container`."""
    import json

    from chalicelib.settings import get_settings
    from tests.fakes import processor_apis

    fake, info, server = processor_apis.start_google()
    monkeypatch.setenv("GA4_API_BASE", fake.base)
    monkeypatch.setenv("GA4_PROPERTY_ID", fake.property_id)
    monkeypatch.setenv("GA4_SERVICE_ACCOUNT", json.dumps(info))
    monkeypatch.setenv("CONNECTOR_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    fake.service_account = info
    yield fake
    processor_apis.stop(server)


@pytest.fixture
def botpress_api(local_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Fake Botpress runtime API, configured through BOTPRESS_API_BASE, BOTPRESS_BOT_ID and BOTPRESS_TOKEN."""
    from chalicelib.settings import get_settings
    from tests.fakes import processor_apis

    fake, server = processor_apis.start_botpress()
    monkeypatch.setenv("BOTPRESS_API_BASE", fake.base)
    monkeypatch.setenv("BOTPRESS_BOT_ID", processor_apis.BOT_ID)
    monkeypatch.setenv("BOTPRESS_TOKEN", processor_apis.BOTPRESS_TOKEN)
    monkeypatch.setenv("CONNECTOR_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    yield fake
    processor_apis.stop(server)


@pytest.fixture
def paypal(container: Any) -> Any:
    """A fake PayPal boundary: PayPal events are signed by PayPal only, so functional tests of the recording path
    sign with a local test PKI (root -> intermediate -> messageverificationcerts.paypal.com, see
    test_paypal_signature) and pin its root, and a fake HTTP port serving its chain, through the container wiring
    (LocalPaypal.install)."""
    from tests.fakes.paypal import LocalPaypal

    local = LocalPaypal(container.settings.paypal_webhook_id)
    local.install(container)
    return local


# -- every log line of the whole suite, scanned for personal data at the end -----------------------------------------
# Each process (each xdist worker too) copies what the service logger writes, formatted as in production, into a
# file of one folder per run; the controlling process reads them all when the session ends and fails the run when a
# personal value of the fixtures appears.  The per-area log tests check their own paths; this one catches a path
# nobody thought of.  The served stacks' processes (`chalice local`, the moto server) write their logs into
# sub-folders of the same folder (tests.helpers.served_log_dir), so what the API process printed is scanned too.
PERSONAL_IN_FIXTURES = (
    "jana.mueller@example.org", "Müller", "Hauptstraße", "+49 30 1234567", "Bitte beim Nachbarn",
    "max.mustermann@example.com", "Mustermann", "satoshi@nakamoto.com", "Nakamoto", "140 E 46th St",
    "555-555-5555", "JANA MUELLER",
)
# and any address the tests make up (e2e and hypothesis tests generate their own at these reserved domains)
MADE_UP_ADDRESS = re.compile(r"[\w.+-]+@example\.(?:org|com|net)\b", re.IGNORECASE)


def pytest_configure(config: pytest.Config) -> None:
    import tempfile

    if not hasattr(config, "workerinput") and LOG_SCAN_DIR not in os.environ:
        os.environ[LOG_SCAN_DIR] = tempfile.mkdtemp(prefix="privacy-test-logs-")


@pytest.fixture(scope="session", autouse=True)
def _every_log_line() -> Iterator[None]:
    import logging
    import uuid

    from chalicelib.observability import logger

    folder = os.environ.get(LOG_SCAN_DIR)
    if not folder:
        yield
        return
    handler = logging.FileHandler(Path(folder) / f"{uuid.uuid4().hex}.log", encoding="utf-8")
    handler.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(handler)  # the stdlib logger behind Powertools' Logger
    try:
        yield
    finally:
        logger._logger.removeHandler(handler)
        handler.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return  # the controlling process reads every worker's file
    folder = os.environ.get(LOG_SCAN_DIR)
    if not folder or not Path(folder).is_dir():
        return
    found: list[str] = []
    lines = 0
    for path in sorted(Path(folder).rglob("*.log")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            lines += 1
            found += [f"{value!r} in: {line[:300]}" for value in PERSONAL_IN_FIXTURES if value in line]
            found += [f"{match.group()!r} in: {line[:300]}" for match in MADE_UP_ADDRESS.finditer(line)]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"log scan: {lines} log lines of the whole run, {len(found)} with personal data")
    if found:
        if reporter is not None:
            for entry in found[:20]:
                reporter.write_line(f"  personal data in the logs: {entry}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
