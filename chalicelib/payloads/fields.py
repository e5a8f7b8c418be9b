"""Field types shared by the payload models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, Strict

from chalicelib.domain.email_address import InvalidEmailError, parse_email


def _email(value: Any) -> str:
    try:
        return parse_email(value)
    except InvalidEmailError as error:
        raise ValueError(str(error)) from None


EmailAddress = Annotated[str, BeforeValidator(_email)]
"""An e-mail address (chalicelib.domain.email_address): one mailbox, RFC 5321 limits, no control characters."""

MAX_ID = 2**53 - 1  # the largest integer every JSON reader (PHP, JavaScript, Python) keeps exactly

Identifier = Annotated[int, Strict(), Field(ge=0, le=MAX_ID)]
"""A numeric id: a JSON integer (never `true`, a float or a string), 0 .. 2^53-1."""

Quantity = Annotated[float, Strict(), Field(ge=-1e12, le=1e12)]
"""A count or amount sent as a JSON number (never `true`): integers and decimals within +-10^12."""
