"""Subjects are keyed by a keyed hash of their normalised e-mail address, never by the address itself."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from chalicelib.domain.email_address import parse_email


def normalise_email(email: str) -> str:
    """Unicode-normalised, trimmed and case-folded, so `Jana.Mueller@Example.org ` and
    `jana.mueller@example.org` are one subject."""
    return unicodedata.normalize("NFKC", email).strip().casefold()


def subject_id(email: str, pepper: str) -> str:
    """HMAC-SHA256 of the normalised e-mail with the pepper, hex; the pepper never leaves the secrets store."""
    parse_email(email)  # InvalidEmailError (a ValueError) for anything but one well-formed address
    digest = hmac.new(pepper.encode(), normalise_email(email).encode(), hashlib.sha256)
    return digest.hexdigest()


def keyed_hash(value: str, pepper: str, purpose: str) -> str:
    """A keyed hash for other identifiers (IPs for rate limits, tokens), separated by purpose."""
    return hmac.new(pepper.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()
