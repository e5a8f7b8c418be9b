"""Revisions: a total order on the deliveries of one record, so that applying "the highest revision wins" with a
conditional write makes the stored state independent of arrival order and of duplicates.

    rev = "<modified epoch, 12 digits>.<rank>.<digest>"

- full payloads (created/updated/restored): epoch of `date_modified_gmt`, rank 1, digest = a keyed hash (pepper) of
  the minimised content, so two different payloads stamped with the same second are still ordered the same way
  whatever their arrival order (an identical payload has an identical rev: a duplicate);
- deletions (`{"id": N}` carries no date): the receipt time, rank 2, so a deletion wins over every update that was
  modified before it was received, and over one modified in the same second.
Strings compare lexicographically in DynamoDB conditions, which is the intended order (fixed widths).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.clock import parse_iso
from chalicelib.domain.subjects import keyed_hash
from chalicelib.errors import InvalidInputError

PURPOSE = "webhook-revision"
DIGEST_CHARS = 16


def parse_gmt(value: str | None, field: str) -> int:
    """WooCommerce `*_gmt` timestamps have no zone and are UTC."""
    if not value:
        raise InvalidInputError(f"{field}: missing", field=field)
    try:
        return int(parse_iso(value))
    except ValueError:
        raise InvalidInputError(f"{field}: not a timestamp", field=field) from None


def canonical(content: Any) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_revision(modified_epoch: int, content: Any, pepper: str) -> str:
    digest = keyed_hash(canonical(content), pepper, PURPOSE)[:DIGEST_CHARS]
    return f"{max(0, modified_epoch):012d}.1.{digest}"


def deletion_revision(received_epoch: int) -> str:
    return f"{max(0, received_epoch):012d}.2.{'0' * DIGEST_CHARS}"
