"""Use case: a subject's marketing e-mail preference (opt-in needs an explicit true; opting out always works).

Other features call these two functions:
- `set_marketing_preference(ports, subject=..., customer_id=..., email_marketing=..., source=..., at=...,
  proof=...)` records the choice with its proof (the account switch; `opt_out` privacy requests with
  `email_marketing=False, source="privacy_request"`).  An opt-out for an erased (suppressed) subject is a no-op:
  suppression already guarantees no marketing; an opt-in for them raises SubjectSuppressedError (409).
  With `email` (or the `list_hash` a one-click token carries) the suppression list follows the choice in the same
  transaction (`storage/suppression_list.py`).  With a caller's own `event_id` (an order, a token), recording the
  same (at, event_id) again is a duplicate: nothing more is written and False is returned.
- `get_marketing_preference(ports, subject)` -> True (opted in), False (opted out / objected) or None (never
  chose: no marketing without agreement).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from chalicelib.errors import ConflictError, InvalidInputError, SubjectSuppressedError
from chalicelib.observability import count, logger
from chalicelib.storage.marketing import MarketingChoice, MarketingState

if TYPE_CHECKING:
    from chalicelib.services.ports import ConsentPorts

SOURCES = frozenset({"account", "privacy_request", "checkout", "unsubscribe_link", "one_click", "operator"})


def set_marketing_preference(ports: ConsentPorts, *, subject: str, customer_id: str | None, email_marketing: bool,
                             source: str, at: int, proof: dict[str, Any] | None = None, email: str | None = None,
                             list_hash: str | None = None, event_id: str | None = None) -> bool:
    if not isinstance(email_marketing, bool):
        raise InvalidInputError("email_marketing must be true or false", field="email_marketing")
    if source not in SOURCES:
        raise InvalidInputError("unknown marketing preference source", field="source")
    if list_hash is None and email is not None:
        list_hash = ports.sender_keys.list_hash(email)
    choice = MarketingChoice(subject=subject, email_marketing=email_marketing, source=source, at=at,
                             event_id=event_id or uuid.uuid4().hex, customer_id=customer_id, proof=proof,
                             list_hash=list_hash)
    try:
        ports.marketing.record(choice)
    except SubjectSuppressedError:
        if email_marketing:
            raise
        logger.info("marketing opt-out for an erased subject: already suppressed", extra={"source": source})
        return False
    except ConflictError:
        if event_id is None:
            raise
        logger.info("marketing preference already recorded", extra={"event_id": event_id, "source": source})
        return False
    count("MarketingOptIn" if email_marketing else "MarketingOptOut")
    logger.info("marketing preference recorded",
                extra={"event_id": choice.event_id, "email_marketing": email_marketing, "source": source})
    return True


def get_marketing_preference(ports: ConsentPorts, subject: str) -> bool | None:
    state = marketing_state(ports, subject)
    return None if state is None else state.email_marketing


def marketing_state(ports: ConsentPorts, subject: str) -> MarketingState | None:
    return ports.marketing.current(subject, now=ports.now())
