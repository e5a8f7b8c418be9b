"""The pure parts of the mailing tool's routes: the list hash, the API key check, the one-click token."""

from __future__ import annotations

import hashlib
import hmac

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.crypto import unsubscribe_token as tokens
from chalicelib.domain.marketing_senders import configured_hashes, list_hash, matching_key_id
from chalicelib.payloads.marketing import FormRejected, one_click_form, parse_limit

KEY = "k" * 40
NOW = 1_795_435_200
SIGNING = tokens.derive_key("token-key-for-tests-0000000000")
SUBJECT = "a" * 64


def test_the_list_hash_is_hmac_sha256_of_the_normalised_address() -> None:
    expected = hmac.new(b"list-key", b"jana.mueller@example.org", hashlib.sha256).hexdigest()
    assert list_hash(" Jana.Mueller@EXAMPLE.org ", "list-key") == expected
    assert list_hash("jana.mueller@example.org", "other-key") != expected


def test_only_well_formed_hashes_are_configured() -> None:
    good = hashlib.sha256(KEY.encode()).hexdigest()
    assert configured_hashes(f" {good.upper()} , nope,,{'0' * 63}") == [good]


@given(st.text(max_size=300))
def test_no_other_text_matches_the_key(presented: str) -> None:
    hashes = [hashlib.sha256(KEY.encode()).hexdigest()]
    assert (matching_key_id(presented, hashes) is not None) == (presented == KEY)


def test_the_key_id_is_its_hash_prefix_and_length_is_bounded() -> None:
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    assert matching_key_id(KEY, [digest]) == digest[:12]
    short = "s" * 31
    assert matching_key_id(short, [hashlib.sha256(short.encode()).hexdigest()]) is None


def test_a_token_round_trips_and_carries_no_address() -> None:
    token, claims = tokens.mint(SIGNING, subject=SUBJECT, list_hash="b" * 64, now=NOW)
    assert tokens.verify(SIGNING, token, now=NOW + 364 * 86400) == claims
    assert claims.expires_at == NOW + 365 * 86400
    with pytest.raises(tokens.InvalidUnsubscribeToken):
        tokens.verify(SIGNING, token, now=claims.expires_at)


def sign(**claims: object) -> str:
    base = {"sub": SUBJECT, "jti": "c" * 32, "iat": NOW, "exp": NOW + 100, "aud": tokens.AUDIENCE}
    return jwt.encode({k: v for k, v in {**base, **claims}.items() if v is not None}, SIGNING, algorithm="HS256")


@pytest.mark.parametrize("claims", [
    {"exp": NOW + 366 * 86400},  # longer than a year, even with the right key
    {"aud": "privacy-backend"}, {"aud": None}, {"sub": "x"}, {"sub": None}, {"jti": "short"}, {"jti": None},
    {"lh": "not-hex"}, {"lh": 5}, {"iat": 1.5}, {"exp": True}, {"iat": None}, {"sub": "A" * 64},
])
def test_a_token_signed_with_the_key_but_wrong_claims_is_refused(claims: dict[str, object]) -> None:
    with pytest.raises(tokens.InvalidUnsubscribeToken):
        tokens.verify(SIGNING, sign(**claims), now=NOW)


def test_another_algorithm_is_refused() -> None:
    token = jwt.encode({"sub": SUBJECT, "jti": "c" * 32, "iat": NOW, "exp": NOW + 100, "aud": tokens.AUDIENCE},
                       SIGNING * 2, algorithm="HS512")
    with pytest.raises(tokens.InvalidUnsubscribeToken):
        tokens.verify(SIGNING, token, now=NOW)


@pytest.mark.parametrize("body,content_type,expected", [
    (b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded", True),
    (b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded; charset=utf-8", True),
    (b"List-Unsubscribe=One-Click&List-Unsubscribe=One-Click", "application/x-www-form-urlencoded", False),
    (b"list-unsubscribe=one-click", "application/x-www-form-urlencoded", False),
    (b"--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b--\r\n",
     "multipart/form-data; boundary=b", True),
])
def test_the_one_click_form(body: bytes, content_type: str, expected: bool) -> None:
    assert one_click_form(body, content_type) is expected


@pytest.mark.parametrize("content_type", ["text/plain", "", "multipart/form-data; boundary=b\r\nX: y"])
def test_other_forms_are_rejected(content_type: str) -> None:
    with pytest.raises(FormRejected):
        one_click_form(b"List-Unsubscribe=One-Click", content_type)


@pytest.mark.parametrize("value", ["0", "1001", "", "01e2", "-1", " 5", "١٢"])
def test_a_limit_is_1_to_1000(value: str) -> None:
    with pytest.raises(FormRejected):
        parse_limit(value)
