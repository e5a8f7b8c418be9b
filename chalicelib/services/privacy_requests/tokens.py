"""Single-use links of privacy requests: tokens (only their keyed hashes are stored) and the URLs that carry them."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from chalicelib.domain.subjects import keyed_hash
from chalicelib.storage.privacy_requests import Token

if TYPE_CHECKING:
    from chalicelib.services.ports import RightsPorts



def hash_token(ports: RightsPorts, token: str, purpose: str) -> str:

    return keyed_hash(token, ports.token_key, purpose)


def new_token(ports: RightsPorts, purpose: str, request_id: str, expires_at: int,
               token: str | None = None) -> tuple[str, Token]:
    token = token or secrets.token_urlsafe(32)
    return token, Token(hash_token(ports, token, purpose), purpose, request_id, expires_at)


def link(ports: RightsPorts, path: str, token: str) -> str:
    return f"{ports.settings.public_base_url.rstrip('/')}{path}?token={token}"


def verification_link(ports: RightsPorts, token: str) -> str:
    return link(ports, "/privacy-requests/verify", token)
