"""Airwallex signatures: the derived vector (hex HMAC-SHA256 of x-timestamp + raw body), its negative cases, one
byte changed anywhere, and the five-minute replay window either way."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.errors import UnauthorizedError
from chalicelib.signatures.airwallex import sign, verify
from tests.conftest import EVENTS

VECTOR: dict[str, Any] = json.loads((EVENTS / "airwallex" / "signature_vector_DERIVED.json").read_text())
BODY = VECTOR["raw_body"].encode()
SECRET = VECTOR["secret"]
TS = VECTOR["headers"]["x-timestamp"]
SIG = VECTOR["headers"]["x-signature"]
AT = int(TS) / 1000  # the vector's own time: inside the replay window


def test_the_derived_vector_verifies() -> None:
    assert sign(TS, BODY, SECRET) == SIG
    verify(BODY, TS, SIG, SECRET, now=AT)


def test_the_body_is_the_compact_json_of_the_official_example() -> None:
    official = json.loads((EVENTS / "airwallex" / "payment_intent_event_envelope_example.json").read_text())
    assert json.dumps(official, separators=(",", ":")).encode() == BODY


@pytest.mark.parametrize("case", VECTOR["negative_cases"], ids=lambda case: case["desc"])
def test_the_vectors_negative_cases(case: dict[str, str]) -> None:
    if case["expected"] == "valid":
        verify(BODY, case["x-timestamp"], case["x-signature"], SECRET, now=AT)
    else:
        with pytest.raises(UnauthorizedError):
            verify(BODY, case["x-timestamp"], case["x-signature"], SECRET, now=AT)


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


@pytest.mark.parametrize("index", [0, 1, len(BODY) // 2, len(BODY) - 1])
def test_one_byte_changed_in_the_body_is_refused(index: int) -> None:
    with pytest.raises(UnauthorizedError):
        verify(_flip(BODY, index), TS, SIG, SECRET, now=AT)


@pytest.mark.parametrize("index", range(len(TS)))
def test_one_digit_changed_in_the_timestamp_is_refused(index: int) -> None:
    changed = TS[:index] + str((int(TS[index]) + 1) % 10) + TS[index + 1:]
    with pytest.raises(UnauthorizedError):
        verify(BODY, changed, SIG, SECRET, now=int(changed) / 1000)


@pytest.mark.parametrize("index", [0, 31, 63])
def test_one_character_changed_in_the_signature_is_refused(index: int) -> None:
    changed = SIG[:index] + ("0" if SIG[index] != "0" else "1") + SIG[index + 1:]
    with pytest.raises(UnauthorizedError):
        verify(BODY, TS, changed, SECRET, now=AT)


@pytest.mark.parametrize("signature", ["", SIG.upper(), SIG[:-1], SIG + "0", " ", "sha256=" + SIG,
                                       __import__("base64").b64encode(bytes.fromhex(SIG)).decode()])
def test_other_spellings_and_missing_signatures_are_refused(signature: str) -> None:
    with pytest.raises(UnauthorizedError):
        verify(BODY, TS, signature or None, SECRET, now=AT)


@pytest.mark.parametrize("timestamp", [None, "", "-1357872222592", "1357872222592.0", "1e12", "0x10", "１２３"])
def test_a_missing_or_malformed_timestamp_is_refused(timestamp: str | None) -> None:
    signature = sign(timestamp, BODY, SECRET) if timestamp and timestamp.isascii() else SIG
    with pytest.raises(UnauthorizedError):
        verify(BODY, timestamp, signature, SECRET, now=AT)


def test_a_wrong_or_empty_secret_is_refused() -> None:
    for secret in ("", SECRET + "x"):
        with pytest.raises(UnauthorizedError):
            verify(BODY, TS, SIG, secret, now=AT)


@pytest.mark.parametrize("offset", [-300, -1, 0, 1, 299.5, 300])
def test_within_five_minutes_either_way_is_fresh(offset: float) -> None:
    verify(BODY, TS, SIG, SECRET, now=AT + offset)


@pytest.mark.parametrize("offset", [-86_400, -301, 301, 3_600])
def test_more_than_five_minutes_either_way_is_a_replay(offset: float) -> None:
    with pytest.raises(UnauthorizedError):
        verify(BODY, TS, SIG, SECRET, now=AT + offset)
