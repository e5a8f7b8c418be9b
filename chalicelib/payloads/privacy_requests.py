"""Bodies of the privacy-request routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.payloads.fields import EmailAddress

MAX_BODY = 2048


class WebRequestBody(BaseModel):
    """`POST /privacy-requests` (no account): who asks, and for what."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: EmailAddress
    type: Literal["access", "deletion", "correction", "opt_out", "restriction", "objection"]


class AccountDeletionBody(BaseModel):
    """`POST /account/deletion`, `/account/restriction`, `/account/objection`: nothing is required; a confirmation
    flag (a JSON boolean) guards against accidental calls."""

    model_config = ConfigDict(extra="forbid", strict=True)

    confirm: bool = True
