"""One contract, two implementations: the in-memory twin and DynamoDB (moto)."""

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.storage.subject_keys import DynamoSubjectKeyRepository, KeyRecord, SubjectKeyRepository
from tests.fakes.subject_keys import InMemorySubjectKeyRepository


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[SubjectKeyRepository]:
    if request.param == "memory":
        yield InMemorySubjectKeyRepository()
    else:
        container: Any = request.getfixturevalue("container")
        yield DynamoSubjectKeyRepository(container.keys_table)


def test_get_missing_is_none(repo: SubjectKeyRepository) -> None:
    assert repo.get("nobody", now=100) is None


def test_first_writer_wins(repo: SubjectKeyRepository) -> None:
    first = repo.add_if_absent(KeyRecord("s", b"first", 100, 10_000))
    second = repo.add_if_absent(KeyRecord("s", b"second", 101, 10_000))
    assert first.wrapped == second.wrapped == b"first"
    got = repo.get("s", now=102)
    assert got is not None and got.wrapped == b"first"


def test_expired_key_is_not_returned_and_can_be_replaced(repo: SubjectKeyRepository) -> None:
    repo.add_if_absent(KeyRecord("s", b"old", 100, 200))
    assert repo.get("s", now=199) is not None
    assert repo.get("s", now=200) is None
    assert repo.add_if_absent(KeyRecord("s", b"new", 300, 10_000)).wrapped == b"new"


def test_extend_never_shortens(repo: SubjectKeyRepository) -> None:
    repo.add_if_absent(KeyRecord("s", b"k", 100, 1_000))
    repo.extend("s", 5_000)
    repo.extend("s", 2_000)
    got = repo.get("s", now=101)
    assert got is not None and got.expires_at == 5_000


def test_delete_shreds(repo: SubjectKeyRepository) -> None:
    repo.add_if_absent(KeyRecord("s", b"k", 100, 1_000))
    repo.delete("s")
    assert repo.get("s", now=101) is None


def test_suppression(repo: SubjectKeyRepository) -> None:
    assert not repo.is_suppressed("s", now=100)
    repo.suppress("s", at=100, expires_at=1_000)
    assert repo.is_suppressed("s", now=500)
    assert not repo.is_suppressed("s", now=1_000)
