"""End-to-end fixtures: the same stack as `make serve` (moto server + `chalice local`), on free ports.

`served` (session-scoped, shared by every e2e test) is a `scripts.serve.Stack`, ready (/health is 200):

- `served.api`: the API's base URL, e.g. "http://127.0.0.1:PORT" (no trailing slash);
- `served.moto`: the emulator's endpoint URL (sent mail: GET f"{served.moto}/moto-api/data.json");
- `served.env`: the environment the API process runs with: the local stage's settings from .chalice/config.json,
  with PUBLIC_BASE_URL set to `served.api` (links in mails point at this stack) and `served.api` added to
  ALLOWED_ORIGINS;
- `served.client(service)`: a boto3 client on the emulator (fake credentials, region eu-west-1).

The stack is also written to a stack.json that $SERVE_STACK names for the session, as `make serve` writes
.serve/stack.json: `make mail` and `make tick` run from a test use this stack (and its API's URL in links).

State is shared across tests (one emulator per session): use unique ids/emails per test.  Everything is stopped
at the end of the session, whatever happens.  Mark e2e tests with `@pytest.mark.e2e`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from scripts.serve import STACK_FILE_ENV, Stack, start, write_state
from tests.helpers import served_log_dir


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log_dir = served_log_dir(tmp_path_factory)
    stack = start(log_dir=log_dir)  # stops what it started if it fails
    previous = os.environ.get(STACK_FILE_ENV)
    try:
        os.environ[STACK_FILE_ENV] = str(write_state(stack, log_dir))
        yield stack
    finally:
        stack.stop()
        if previous is None:
            os.environ.pop(STACK_FILE_ENV, None)
        else:
            os.environ[STACK_FILE_ENV] = previous
