"""Use case: the suppression list (keyed hashes of opted-out and erased addresses, `storage/suppression_list.py`):
a page of it for the mailing tool, and the erasure's entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.email_address import is_email
from chalicelib.domain.retention import Category
from chalicelib.errors import InvalidInputError
from chalicelib.storage.suppression_list import InvalidCursor, parse_cursor

if TYPE_CHECKING:
    from chalicelib.services.ports import SenderPorts


def check_cursor(cursor: str | None) -> str | None:
    """The cursor of a page of the list, checked before anything is counted or read (400 otherwise)."""
    try:
        parse_cursor(cursor)
    except InvalidCursor:
        raise InvalidInputError("cursor: not a cursor of this list", field="cursor") from None
    return cursor


def suppressions_page(ports: SenderPorts, cursor: str | None, limit: int) -> dict[str, Any]:
    page = ports.suppression_list.page(check_cursor(cursor), limit=limit, now=ports.now())
    return {"algorithm": "HMAC-SHA256", "normalisation": "NFKC, trimmed, case-folded",
            "hashes": page.hashes, "next_cursor": page.cursor}


def suppress_erased(ports: SenderPorts, email: str | None, *, now: int) -> None:
    """The erasure's suppression step: the address goes on the list for as long as its suppression record."""
    list_hash = ports.sender_keys.list_hash(email) if email and is_email(email) else None
    if list_hash:
        ports.suppression_list.add(list_hash, reason="erased", at=now,
                                   expires_at=ports.policy.expires_at(Category.SUPPRESSION, now))
