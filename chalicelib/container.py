"""Composition root: builds the ports from settings, lazily, once per process.

Handlers ask `get_container()` for what they need; tests replace it with `set_container(...)`.  Feature modules keep
their own wiring next to them and cache it with `container.memo(name, factory)`, so adding a feature never edits
this file.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.domain.clock import Clock, SystemClock
from chalicelib.domain.retention import RetentionPolicy, build_policy
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from chalicelib.crypto.vault import SubjectVault
    from chalicelib.storage.sealed_writes import SealedWrites
    from chalicelib.storage.subject_keys import DynamoSubjectKeyRepository
    from chalicelib.storage.table import DynamoTable

T = TypeVar("T")


class Container:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._memo: dict[str, Any] = {}

    def memo(self, name: str, factory: Callable[[Container], T]) -> T:
        if name not in self._memo:
            self._memo[name] = factory(self)
        return self._memo[name]  # type: ignore[no-any-return]

    def now(self) -> int:
        return int(self.clock.now())

    @cached_property
    def policy(self) -> RetentionPolicy:
        return build_policy(self.settings.retention_overrides)

    @cached_property
    def table(self) -> DynamoTable:
        from chalicelib import aws
        from chalicelib.storage.table import DynamoTable

        return DynamoTable(aws.dynamodb(), self.settings.table_name)

    @cached_property
    def keys_table(self) -> DynamoTable:
        from chalicelib import aws
        from chalicelib.storage.table import DynamoTable

        return DynamoTable(aws.dynamodb(), self.settings.keys_table_name)

    @cached_property
    def subject_keys(self) -> DynamoSubjectKeyRepository:
        from chalicelib.storage.subject_keys import DynamoSubjectKeyRepository

        return DynamoSubjectKeyRepository(self.keys_table)

    @cached_property
    def sealed_writes(self) -> SealedWrites:
        from chalicelib.storage.sealed_writes import SealedWrites

        return SealedWrites(self.table, self.subject_keys, self.vault)

    @cached_property
    def vault(self) -> SubjectVault:
        from chalicelib import aws
        from chalicelib.crypto.keys import KmsKeyWrapper
        from chalicelib.crypto.vault import SubjectVault

        return SubjectVault(self.subject_keys, KmsKeyWrapper(aws.kms, self.settings.kms_key_id), self.policy,
                            self.clock)

    @cached_property
    def pepper(self) -> str:
        from chalicelib.secrets import Secret, get_secret

        return get_secret(Secret.SUBJECT_PEPPER)

    def subject_for_email(self, email: str) -> str:
        from chalicelib.crypto.subjects import subject_id

        return subject_id(email, self.pepper)


_container: Container | None = None


def get_container() -> Container:
    global _container
    if _container is None:
        _container = Container(get_settings())
    return _container


def set_container(container: Container | None) -> None:
    """Install a container (tests), or None to rebuild from the environment on next use."""
    global _container
    _container = container
