"""Fixtures for the emulator's own tests: real boto3 clients on moto, in-process (`mock_aws`) or through a real
`moto.server.ThreadedMotoServer` on 127.0.0.1 (a free port the OS picks; always stopped)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import emulator

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account (the fake credentials map to it)


def ddb_client(region: str = REGION, endpoint: str | None = None, **config: Any) -> Any:
    import boto3
    from botocore.config import Config

    session: Any = boto3.session.Session()
    return session.client("dynamodb", region_name=region, endpoint_url=endpoint,
                          config=Config(**config) if config else None,
                          aws_access_key_id="testing", aws_secret_access_key="testing")


def create_table(client: Any, name: str | None = None, *, stream: bool = False) -> str:
    """pk/sk table with a GSI (g, sk) and an LSI (pk, l), like the app's table (on-demand)."""
    name = name or f"t-{uuid.uuid4().hex[:12]}"
    params: dict[str, Any] = {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g", "l")],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{"IndexName": "g_index", "Projection": {"ProjectionType": "ALL"},
                                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                  {"AttributeName": "sk", "KeyType": "RANGE"}]}],
        "LocalSecondaryIndexes": [{"IndexName": "l_index", "Projection": {"ProjectionType": "ALL"},
                                   "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                 {"AttributeName": "l", "KeyType": "RANGE"}]}],
    }
    if stream:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    client.create_table(**params)
    return name


def scan_all(client: Any, table: str, index: str | None = None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"TableName": table, "ConsistentRead": index is None}
    if index:
        params = {"TableName": table, "IndexName": index}
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(**params):
        items.extend(page["Items"])
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


@pytest.fixture
def patched() -> Iterator[None]:
    """The patch installed (as everywhere in this project); put back as found."""
    was = emulator.installed()
    emulator.install()
    yield
    emulator.install()  # default token settings again
    if not was:
        emulator.uninstall()


@pytest.fixture
def in_process(patched: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A DynamoDB client on in-process moto (patched)."""
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    with mock_aws():
        yield ddb_client()


@pytest.fixture
def moto_server(patched: None) -> Iterator[str]:
    """A real threaded moto server on 127.0.0.1 (free port), patched; its endpoint URL.  Always stopped."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        inner = getattr(server, "_server", None)
        if inner is not None:
            inner.server_close()  # stop() only ends the loop; free the port now
