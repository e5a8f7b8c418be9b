"""AWS clients, built lazily and cached per process (never at import time: import time is cold-start time,
and moto must be active before a client exists).  `reset_clients()` drops them (tests, endpoint changes)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    from chalicelib.settings import get_settings

    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=3,
        read_timeout=10,
        signature_version="s3v4" if service == "s3" else None,
    )
    session: Any = boto3.session.Session()
    return session.client(service, region_name=get_settings().aws_region, config=config)


def dynamodb() -> DynamoDBClient:
    return client("dynamodb")  # type: ignore[no-any-return]


def kms() -> KMSClient:
    return client("kms")  # type: ignore[no-any-return]


def s3() -> S3Client:
    return client("s3")  # type: ignore[no-any-return]


def ses() -> SESClient:
    return client("ses")  # type: ignore[no-any-return]


def sns() -> SNSClient:
    return client("sns")  # type: ignore[no-any-return]


def sqs() -> SQSClient:
    return client("sqs")  # type: ignore[no-any-return]


def reset_clients() -> None:
    client.cache_clear()
