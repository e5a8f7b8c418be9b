"""Account deletion by the store (`customer.deleted`), at service level on moto: an account deletion request
(channel `store`, verified, no grace period, due within the `deleted_account` period), carried out by the scheduled
job as an erasure (orders anonymised and kept, everything else erased, key shredded, subject suppressed), exactly
once per account, and nothing for a customer never seen."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.privacy_requests import Channel, RequestType, Status
from chalicelib.domain.retention import DAY
from chalicelib.payloads.woocommerce import CustomerPayload, OrderPayload
from chalicelib.services import privacy_requests as service
from chalicelib.services.record_woocommerce import record_customer, record_order
from chalicelib.services.store_account_deletion import account_deleted, request_id_for
from chalicelib.storage.orders import CUSTOMER, Outcome
from tests.conftest import NOW, load_event
from tests.helpers import POLICIES

EMAIL = "jana.mueller@example.org"
PERSONAL = ["jana.mueller@example.org", "Müller", "Hauptstraße", "+49 30 1234567", "10115"]


def seed(container: Any) -> str:
    ports = container.webhook_ports
    record_customer(CustomerPayload.model_validate(load_event("woocommerce/customer.created.payload.json")), ports)
    record_order(OrderPayload.model_validate(load_event("woocommerce/order.created.payload.json")), ports)
    return str(container.subject_for_email(EMAIL))


def requests_of(container: Any, subject: str) -> list[Any]:
    return container.privacy_requests.for_subject(subject, now=NOW)


def test_a_deleted_account_is_erased_by_the_scheduled_job(container: Any, table_items: Any) -> None:
    subject = seed(container)
    assert account_deleted(container, container.webhook_ports, 57) is Outcome.ACCEPTED
    [request] = requests_of(container, subject)
    assert request.request_id == request_id_for(container, 57)
    assert request.type is RequestType.DELETION and request.channel is Channel.STORE
    assert request.status is Status.PENDING and request.verified_at == NOW
    assert request.source_ref == "woocommerce:customer.deleted:57" and request.customer_id == "57"
    [created] = service.audit_trail(container, request.request_id, now=NOW)
    assert created.actor == "store:woocommerce" and created.reason == "deletion request received via store"
    assert request.due_at <= NOW + 30 * DAY  # within the deleted_account period of the store's policy
    profile = container.storefront_records.get(CUSTOMER, 57, now=NOW)
    assert profile.deleted and profile.category == "deleted_account"

    counts = service.run_scheduled_request_work(container, now=NOW + 60, dry_run=False)
    assert counts["fulfilled"] == 1
    done = service.get_request(container, request.request_id, now=NOW)
    assert done.status is Status.COMPLETED and done.result["receipt"]["key_destroyed"] is True
    items = table_items()
    [order] = [i for i in items if i["pk"] == "ORDER#1234"]
    assert order["category"] == "anonymised_record" and "sealed" not in order and "subject_pk" not in order
    assert order["data"]["total"] == "54.90"  # kept for its legal period, anonymised
    assert not [i for i in items if i.get("subject_pk") == f"SUBJ#{subject}" and i.get("kind") not in
                ("request", "request_audit")]
    assert container.subject_keys.is_suppressed(subject, now=NOW + 60)
    assert not [i for i in items if i["pk"] == f"SUBJ#{subject}" and i["sk"] == "KEY"]
    raw = json.dumps(items, default=repr, ensure_ascii=False)
    for value in PERSONAL:
        assert value not in raw, value
    # a late update of the deleted account cannot bring it back
    late = record_customer(CustomerPayload.model_validate(load_event("woocommerce/customer.created.payload.json")),
                           container.webhook_ports)
    assert late is Outcome.STALE


def test_a_redelivery_creates_no_second_request(container: Any) -> None:
    subject = seed(container)
    assert account_deleted(container, container.webhook_ports, 57) is Outcome.ACCEPTED
    assert account_deleted(container, container.webhook_ports, 57) is Outcome.DUPLICATE
    assert len(requests_of(container, subject)) == 1


def test_a_redelivery_after_a_crash_between_request_and_tombstone_finds_the_request(container: Any) -> None:
    from chalicelib.services.store_account_deletion import _request

    subject = seed(container)
    profile = container.storefront_records.get(CUSTOMER, 57, now=NOW)
    assert _request(container, 57, profile, now=NOW) == "created"  # the tombstone was never written
    assert account_deleted(container, container.webhook_ports, 57) is Outcome.ACCEPTED  # the tombstone now
    assert len(requests_of(container, subject)) == 1


def test_a_customer_never_seen_creates_no_request(container: Any, table_items: Any) -> None:
    account_deleted(container, container.webhook_ports, 4242)
    items = table_items()
    assert not [i for i in items if str(i["pk"]).startswith(("REQ#", "ACCT#", "SUBJ#"))]
    assert container.privacy_requests.open_requests(now=NOW) == []


def test_an_already_erased_subject_gets_no_new_request(container: Any) -> None:
    subject = seed(container)
    account_deleted(container, container.webhook_ports, 57)
    service.run_scheduled_request_work(container, now=NOW + 60, dry_run=False)
    record_customer(CustomerPayload.model_validate({**load_event("woocommerce/customer.created.payload.json"),
                                                    "id": 58}), container.webhook_ports)  # stored unlinked
    account_deleted(container, container.webhook_ports, 58)
    assert len(requests_of(container, subject)) == 1


@pytest.mark.parametrize("store", POLICIES)
def test_each_stores_deleted_account_period_bounds_the_deadline(store: str, container: Any) -> None:
    from tests.helpers import retention, store_policy

    container.override(store_policy=store_policy(store), policy=retention(name=store))
    subject = seed(container)
    account_deleted(container, container.webhook_ports, 57)
    [request] = requests_of(container, subject)
    assert request.due_at <= NOW + store_policy(store).categories["deleted_account"].retention * DAY


def test_a_policy_without_deletion_requests_still_answers_200_and_keeps_the_tombstone(container: Any) -> None:
    from tests.helpers import store_policy

    policy = store_policy("jetcards")
    offered = [right for right in policy.rights.offered if right not in ("erasure", "delete")]
    container.override(store_policy=policy.model_copy(update={"rights": policy.rights.model_copy(
        update={"offered": offered})}))
    subject = seed(container)
    assert account_deleted(container, container.webhook_ports, 57) is Outcome.ACCEPTED
    assert requests_of(container, subject) == []
    assert container.storefront_records.get(CUSTOMER, 57, now=NOW).deleted
