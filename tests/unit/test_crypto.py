"""Per-subject envelope encryption: seal/open, wrong-subject failure, crypto-shredding."""

import os

import pytest

from chalicelib.crypto.envelope import SealError, SubjectCipher
from chalicelib.crypto.vault import SubjectVault
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.subjects import normalise_email, subject_id
from chalicelib.errors import KeyShreddedError, SubjectSuppressedError
from tests.fakes.keys import FakeKeyWrapper
from tests.fakes.subject_keys import InMemorySubjectKeyRepository
from tests.helpers import retention


def make_vault() -> tuple[SubjectVault, InMemorySubjectKeyRepository]:
    keys = InMemorySubjectKeyRepository()
    return SubjectVault(keys, FakeKeyWrapper(), retention(), FixedClock(1_000_000)), keys


def test_subject_id_is_keyed_and_normalised() -> None:
    a = subject_id("Jana.Mueller@Example.org ", "pepper-1")
    assert a == subject_id("jana.mueller@example.org", "pepper-1")
    assert a != subject_id("jana.mueller@example.org", "pepper-2")
    assert "jana" not in a and len(a) == 64
    assert normalise_email("  ÄB@x.de") == "äb@x.de"


def test_seal_and_open_round_trip() -> None:
    cipher = SubjectCipher("subject-a", os.urandom(32))
    token = cipher.seal("billing", "Jana Müller, Hauptstraße 5")
    assert "Jana" not in token and token.startswith("v1.")
    assert cipher.open("billing", token) == "Jana Müller, Hauptstraße 5"
    assert cipher.open_json("x", cipher.seal_json("x", {"phone": "+49"})) == {"phone": "+49"}


def test_sealed_value_does_not_open_for_another_subject_or_field() -> None:
    key = os.urandom(32)
    token = SubjectCipher("subject-a", key).seal("billing", "secret")
    with pytest.raises(SealError):
        SubjectCipher("subject-b", key).open("billing", token)  # same key, other subject: bound by AAD
    with pytest.raises(SealError):
        SubjectCipher("subject-a", key).open("shipping", token)
    with pytest.raises(SealError):
        SubjectCipher("subject-a", os.urandom(32)).open("billing", token)


def test_vault_creates_one_key_per_subject_and_stores_it_wrapped() -> None:
    vault, keys = make_vault()
    token = vault.cipher_for_writing("s1").seal("f", "hello")
    vault.forget_cache()
    assert vault.cipher_for_reading("s1").open("f", token) == "hello"
    stored = keys.keys["s1"]
    assert vault.wrapper.unwrap("s1", stored.wrapped) != stored.wrapped  # type: ignore[attr-defined]
    vault.cipher_for_writing("s1")
    assert vault.wrapper.generated == 1  # type: ignore[attr-defined]


def test_shredding_makes_every_copy_unreadable() -> None:
    vault, _ = make_vault()
    token = vault.cipher_for_writing("s1").seal("f", "hello")
    backup_copy = str(token)
    vault.shred("s1")
    with pytest.raises(KeyShreddedError):
        vault.cipher_for_reading("s1").open("f", backup_copy)


def test_a_suppressed_subject_gets_no_new_key() -> None:
    vault, keys = make_vault()
    keys.suppress("s1", at=1, expires_at=2_000_000)
    with pytest.raises(SubjectSuppressedError):
        vault.cipher_for_writing("s1")
