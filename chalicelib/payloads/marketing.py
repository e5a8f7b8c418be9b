"""Bodies and queries of the mailing tool's routes (`handlers/marketing.py`) and the RFC 8058 one-click form."""

from __future__ import annotations

import re
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict

from chalicelib.payloads.fields import EmailAddress

MAX_BODY = 1024
MAX_FORM = 4096
MAX_LIMIT = 1000
DEFAULT_LIMIT = 500
_LIMIT = re.compile(r"^[0-9]{1,4}$")
QUERY_NAMES = frozenset({"cursor", "limit"})


class AddressIn(BaseModel):
    """`POST /marketing/permission` and `POST /marketing/unsubscribe-headers`: one address, nothing else."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: EmailAddress


class FormRejected(ValueError):
    pass


def parse_limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not _LIMIT.match(value) or not 1 <= int(value) <= MAX_LIMIT:
        raise FormRejected(f"limit: a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def one_click_form(body: bytes, content_type: str) -> bool:
    """Whether the body is RFC 8058's `List-Unsubscribe=One-Click`, form-encoded or multipart/form-data (RFC 8058
    §3.1 lets the mail receiver use either)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("ascii"), max_num_fields=5, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            raise FormRejected("the form is not valid") from None
        return fields.get("List-Unsubscribe") == ["One-Click"]
    if media == "multipart/form-data":
        if any(c in content_type for c in "\r\n\x00"):
            raise FormRejected("the form is not valid")
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") +
                                                      b"\r\n\r\n" + body)
        if not message.is_multipart():
            raise FormRejected("the form is not valid")
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "List-Unsubscribe":
                payload = part.get_payload(decode=True)
                return isinstance(payload, bytes) and payload.strip() == b"One-Click"
        return False
    raise FormRejected("the form is not valid")
