"""The use cases of the store's mailing tool ("marketing senders", issue 13), one module each:

- `authenticate_sender(ports, authorization)`: the bearer API key (only its sha256 is configured; compared in
  constant time) -> the key's id; UnauthorizedError (401, the same answer for every reason) otherwise, also when the
  feature is not configured (MARKETING_API_KEY_SHA256 and MARKETING_LIST_KEY).
- `take_sender_quota(ports, key_id)`: MARKETING_API_RATE_PER_MINUTE requests a minute per key (429 + Retry-After).
- `may_email(ports, email)`: True only with a current opt-in (a recorded opt-in and no later opt-out, restriction or
  objection: each of those records the preference false) and the subject not erased.
- `suppressions_page(ports, cursor, limit)`: one page of the suppression list (keyed hashes only).
- `unsubscribe_headers(ports, email)`: RFC 8058 headers with a signed one-click token (no address in it).
- `one_click_unsubscribe(ports, token)`: the opt-out, with proof (source `one_click`, token id, time); idempotent.
- `record_checkout_opt_in(ports, order)`: the checkout's opt-in carried by the order's meta (source `checkout`,
  the order id as proof); a redelivery records nothing twice and a later opt-out keeps winning.
"""

from __future__ import annotations

from chalicelib.services.marketing_senders.access import authenticate_sender, take_sender_quota
from chalicelib.services.marketing_senders.checkout import opted_in, record_checkout_opt_in
from chalicelib.services.marketing_senders.permission import may_email
from chalicelib.services.marketing_senders.suppressions import check_cursor, suppress_erased, suppressions_page
from chalicelib.services.marketing_senders.unsubscribe import (
    one_click_unsubscribe,
    unsubscribe_claims,
    unsubscribe_headers,
)

__all__ = ["authenticate_sender", "check_cursor", "may_email", "one_click_unsubscribe", "opted_in",
           "record_checkout_opt_in", "suppress_erased", "suppressions_page", "take_sender_quota",
           "unsubscribe_claims", "unsubscribe_headers"]
