"""Bodies of the privacy-request routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from chalicelib.payloads.corrections import CorrectionChanges, OrderIds
from chalicelib.payloads.fields import EmailAddress

MAX_BODY = 4096

RequestKind = Literal["access", "deletion", "correction", "opt_out", "restriction", "objection"]
MailLanguage = Literal["en", "de", "et"]  # the languages mail is written in (chalicelib/mail/texts.py)


class _Correction(BaseModel):
    """A correction may carry the changes it asks for (`changes`), and the orders they concern (`order_ids`;
    without it, every order still held with personal data); other types carry neither."""

    type: RequestKind
    changes: CorrectionChanges | None = None
    order_ids: OrderIds | None = None

    @model_validator(mode="after")
    def _only_for_corrections(self) -> _Correction:
        if self.type != "correction" and self.changes is not None:
            raise ValueError("changes are only for a correction request")
        if self.order_ids is not None and self.changes is None:
            raise ValueError("order_ids need changes")
        return self


class WebRequestBody(_Correction):
    """`POST /privacy-requests` (no account): who asks, and for what; `language`, the page's, is the language of the
    verification mail (the browser's Accept-Language when absent; the store's default when it does not answer in
    either)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: EmailAddress
    language: MailLanguage | None = None


class AccountRequestBody(_Correction):
    """`POST /account/requests`: a request of the signed-in account (`{"type": "correction", "changes": {...}}`)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class AccountDeletionBody(BaseModel):
    """`POST /account/deletion`, `/account/restriction`, `/account/objection`: nothing is required; a confirmation
    flag (a JSON boolean) guards against accidental calls."""

    model_config = ConfigDict(extra="forbid", strict=True)

    confirm: bool = True
