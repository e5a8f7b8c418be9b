"""Use case: the store deleted a customer account (`customer.deleted` webhook): an account deletion request.

What the store's policy promises for a deleted account (`[categories.deleted_account]`, 30 days for the three
example stores) is kept by treating it as an erasure request of the account's subject (channel `store`, type
deletion, verified: the store is the one asking): orders anonymised and kept for their legal period, everything else
erased, the subject's key shredded and the subject suppressed (`services/erase_subject.py`, run by the scheduled
job's `fulfil` work at once: no grace period, since nobody can cancel it).  Its deadline is the earlier of the
regime's and the end of the `deleted_account` period.

- Exactly once: the request id is derived (keyed hash) from the customer id, and its source reference is
  `woocommerce:customer.deleted:<id>`: a redelivery (or a second delivery of the same deletion) finds the request
  and creates nothing.
- A customer never seen (no profile), a profile already deleted, or a subject already erased: no request; the
  profile's tombstone is recorded as before (`record_deletion`: a late update cannot bring the account back).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.retention import Category
from chalicelib.domain.subjects import keyed_hash
from chalicelib.errors import InvalidInputError, KeyShreddedError, SubjectSuppressedError
from chalicelib.observability import count, logger
from chalicelib.services.privacy_requests import submit_request
from chalicelib.services.record_woocommerce import record_deletion
from chalicelib.storage.orders import CUSTOMER, Outcome, StoredRecord
from chalicelib.storage.privacy_requests import StaleRequestError

if TYPE_CHECKING:
    from chalicelib.services.ports import RightsPorts
    from chalicelib.services.webhook_ports import WebhookPorts


def source_ref(customer_id: int) -> str:
    return f"woocommerce:customer.deleted:{customer_id}"


def request_id_for(ports: RightsPorts, customer_id: int) -> str:
    """The deletion request of a deleted account: the same id for every delivery of its deletion."""
    return keyed_hash(source_ref(customer_id), ports.pepper, "store-account-deletion")[:32]


def account_deleted(ports: RightsPorts, webhook: WebhookPorts, customer_id: int) -> Outcome:
    """Record the account's deletion: its erasure request (when the account's subject is known and not erased),
    then the profile's tombstone.  ACCEPTED when something new was recorded, DUPLICATE for a redelivery."""
    now = ports.now()
    profile = ports.storefront_records.get(CUSTOMER, customer_id, now=now)
    created = _request(ports, customer_id, profile, now=now) if profile else "unknown"
    outcome = record_deletion(CUSTOMER, customer_id, webhook)
    logger.info("store account deletion", extra={"customer_id": customer_id, "request": created,
                                                 "outcome": outcome.value})
    if created == "created" and outcome is not Outcome.ACCEPTED:
        return Outcome.ACCEPTED
    return outcome


def _request(ports: RightsPorts, customer_id: int, profile: StoredRecord, *, now: int) -> str:
    if profile.deleted or not profile.subject or "email" not in profile.sealed:
        return "no_subject"
    try:
        email = ports.vault.cipher_for_reading(profile.subject).open_json("email", profile.sealed["email"])
    except KeyShreddedError:
        return "erased"
    if not isinstance(email, str):
        return "no_subject"
    try:
        submit_request(ports, email=email, request_type="deletion", channel="store", received_at=now,
                       needs_verification=False, source_ref=source_ref(customer_id),
                       customer_id=str(customer_id), request_id=request_id_for(ports, customer_id),
                       due_by=ports.policy.expires_at(Category.DELETED_ACCOUNT, now))
    except StaleRequestError:
        return "exists"
    except SubjectSuppressedError:
        return "erased"
    except InvalidInputError:  # a policy that offers no erasure: the deleted_account period still runs out
        logger.warning("store account deletion: the store's policy offers no deletion request",
                       extra={"customer_id": customer_id})
        return "not_offered"
    count("PrivacyStoreAccountDeletion")
    return "created"
