"""End-to-end fixtures: the same stack as `make serve` (moto server + `chalice local`), on free ports.

`served` (session-scoped, shared by every e2e test) is a `scripts.serve.Stack`, ready (/health is 200):

- `served.api`: the API's base URL, e.g. "http://127.0.0.1:PORT" (no trailing slash);
- `served.moto`: the emulator's endpoint URL (sent mail: GET f"{served.moto}/moto-api/data.json");
- `served.env`: the local stage's environment from .chalice/config.json (what the API process runs with; note
  PUBLIC_BASE_URL there says :8000, use `served.api` to reach this stack);
- `served.client(service)`: a boto3 client on the emulator (fake credentials, region eu-west-1).

State is shared across tests (one emulator per session): use unique ids/emails per test.  Everything is stopped
at the end of the session, whatever happens.  Mark e2e tests with `@pytest.mark.e2e`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.serve import Stack, start


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log_dir = tmp_path_factory.mktemp("served")
    stack = start(log_dir=log_dir)  # stops what it started if it fails
    try:
        yield stack
    finally:
        stack.stop()
