"""One contract for the rate-limit store: the in-memory twin and DynamoDB (moto)."""

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.storage.rate_limits import DynamoRateLimits, RateLimits
from tests.fakes.rate_limits import InMemoryRateLimits

NOW = 1_795_435_200
DAY = 86_400


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[RateLimits]:
    if request.param == "memory":
        yield InMemoryRateLimits()
    else:
        container: Any = request.getfixturevalue("container")
        yield DynamoRateLimits(container.table)


def test_rate_limit_counts_per_key_and_window(repo: RateLimits) -> None:
    assert [repo.take("k", 100, limit=2, expires_at=NOW + DAY) for _ in range(3)] == [True, True, False]
    assert repo.take("k", 200, limit=2, expires_at=NOW + DAY)
    assert repo.take("other", 100, limit=2, expires_at=NOW + DAY)


def test_once_is_true_only_the_first_time(repo: RateLimits) -> None:
    assert repo.first_time("digest#2026-11-23", expires_at=NOW + DAY)
    assert not repo.first_time("digest#2026-11-23", expires_at=NOW + DAY)
    assert repo.first_time("digest#2026-11-24", expires_at=NOW + DAY)
