"""One contract, two implementations (in-memory twin and DynamoDB on moto) for the webhook storage ports:
storefront records (orders, customers, PayPal references), PayPal events and Airwallex objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.domain.retention import Category
from chalicelib.services.webhook_revision import content_revision, deletion_revision
from chalicelib.storage.airwallex_events import AirwallexRecord, AirwallexStore, DynamoAirwallexStore
from chalicelib.storage.orders import (
    CUSTOMER,
    ORDER,
    DynamoStorefrontRecords,
    Outcome,
    Removal,
    Snapshot,
    StorefrontRecords,
)
from chalicelib.storage.paypal_events import DynamoPaypalEventStore, PaypalEventStore, PaypalRecord
from chalicelib.storage.subject_keys import SubjectKeyRepository
from tests.fakes.airwallex_events import InMemoryAirwallexStore
from tests.fakes.orders import InMemoryStorefrontRecords
from tests.fakes.paypal_events import InMemoryPaypalEventStore
from tests.fakes.subject_keys import InMemorySubjectKeyRepository
from tests.helpers import retention

NOW = 1_795_435_200
DAY = 86_400


@dataclass
class World:
    records: StorefrontRecords
    events: PaypalEventStore
    keys: SubjectKeyRepository
    airwallex: AirwallexStore


@pytest.fixture(params=["memory", "dynamodb"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    policy = retention()
    if request.param == "memory":
        keys: Any = InMemorySubjectKeyRepository()
        yield World(InMemoryStorefrontRecords(policy, keys), InMemoryPaypalEventStore(policy, keys), keys,
                    InMemoryAirwallexStore(policy, keys))
    else:
        container: Any = request.getfixturevalue("container")
        yield World(DynamoStorefrontRecords(container.table, policy, container.sealed_writes),
                    DynamoPaypalEventStore(container.table, policy, container.sealed_writes), container.subject_keys,
                    DynamoAirwallexStore(container.table, policy, container.sealed_writes))


def rev(modified: int, content: str = "a") -> str:
    return content_revision(modified, content, "pepper")


def snapshot(revision: str, *, ident: int = 1234, kind: str = ORDER, subject: str | None = "s1",
             references: tuple[str, ...] = (), status: str = "processing") -> Snapshot:
    return Snapshot(kind=kind, ident=ident, rev=revision, category=Category.ORDER if kind == ORDER else
                    Category.CUSTOMER_PROFILE, retention_start=NOW - DAY, created_at=NOW - DAY,
                    data={"status": status, "total": "54.90"}, sealed={"billing": "v1.x"} if subject else {},
                    subject=subject, references=references)


def test_new_then_duplicate_then_stale_then_newer(world: World) -> None:
    records = world.records
    assert records.save(snapshot(rev(100)), now=NOW) is Outcome.ACCEPTED
    assert records.save(snapshot(rev(100)), now=NOW) is Outcome.DUPLICATE
    assert records.save(snapshot(rev(99), status="pending"), now=NOW) is Outcome.STALE
    assert records.save(snapshot(rev(101), status="completed"), now=NOW) is Outcome.ACCEPTED
    stored = records.get(ORDER, 1234, now=NOW)
    assert stored is not None and stored.data["status"] == "completed" and stored.rev == rev(101)
    assert stored.subject == "s1" and stored.sealed == {"billing": "v1.x"} and not stored.deleted
    assert stored.category == "order" and stored.due_at == NOW - DAY + 2555 * DAY


def test_removal_is_a_tombstone_that_wins_until_a_newer_snapshot(world: World) -> None:
    records = world.records
    records.save(snapshot(rev(100)), now=NOW)
    removal = Removal(ORDER, 1234, deletion_revision(NOW), Category.WEBHOOK_RECEIPT, index_due=False)
    assert records.remove(removal, now=NOW) is Outcome.ACCEPTED
    assert records.remove(removal, now=NOW + 5) is Outcome.DUPLICATE
    assert records.save(snapshot(rev(NOW)), now=NOW) is Outcome.STALE  # same second: the deletion wins
    stored = records.get(ORDER, 1234, now=NOW)
    assert stored is not None and stored.deleted and stored.data == {} and stored.sealed == {}
    assert stored.subject is None and stored.category == "webhook_receipt" and stored.due_at is None
    assert stored.expires_at == NOW + 30 * DAY
    assert records.save(snapshot(rev(NOW + 60)), now=NOW) is Outcome.ACCEPTED
    restored = records.get(ORDER, 1234, now=NOW)
    assert restored is not None and not restored.deleted and restored.subject == "s1"


def test_removal_older_than_the_stored_snapshot_is_stale(world: World) -> None:
    world.records.save(snapshot(rev(NOW + 100)), now=NOW)
    removal = Removal(ORDER, 1234, deletion_revision(NOW), Category.WEBHOOK_RECEIPT, index_due=False)
    assert world.records.remove(removal, now=NOW) is Outcome.STALE


def test_customer_removal_is_due_indexed(world: World) -> None:
    world.records.save(snapshot(rev(100), kind=CUSTOMER, ident=57), now=NOW)
    removal = Removal(CUSTOMER, 57, deletion_revision(NOW), Category.DELETED_ACCOUNT, index_due=True)
    assert world.records.remove(removal, now=NOW) is Outcome.ACCEPTED
    stored = world.records.get(CUSTOMER, 57, now=NOW)
    assert stored is not None and stored.category == "deleted_account" and stored.due_at == NOW + 30 * DAY
    assert world.records.get(CUSTOMER, 57, now=NOW + 30 * DAY) is None  # reads stop returning it when expired


def test_a_suppressed_subject_gets_nothing_written(world: World) -> None:
    world.keys.suppress("s1", at=NOW, expires_at=NOW + 10 * DAY)
    assert world.records.save(snapshot(rev(100), references=("PAYID",)), now=NOW) is Outcome.SUPPRESSED
    assert world.records.get(ORDER, 1234, now=NOW) is None
    assert world.records.order_for_reference("PAYID", now=NOW) is None
    assert world.records.save(snapshot(rev(100), subject=None), now=NOW) is Outcome.ACCEPTED
    assert world.keys.is_suppressed("s1", now=NOW + 10 * DAY) is False
    assert world.records.save(snapshot(rev(101)), now=NOW + 10 * DAY) is Outcome.ACCEPTED  # suppression expired


def test_references_point_to_their_order(world: World) -> None:
    world.records.save(snapshot(rev(100), references=("5O190127TN364715T", "8MC585209K746392H")), now=NOW)
    assert world.records.order_for_reference("5O190127TN364715T", now=NOW) == 1234
    assert world.records.order_for_reference("8MC585209K746392H", now=NOW) == 1234
    assert world.records.order_for_reference("UNKNOWN", now=NOW) is None


def test_an_expired_record_counts_as_absent(world: World) -> None:
    old = Snapshot(kind=ORDER, ident=7, rev=rev(500), category=Category.ORDER, retention_start=0, created_at=0,
                   data={}, subject=None)
    world.records.save(old, now=10)
    later = NOW  # far beyond 0 + 2555 + 1095 days
    assert world.records.get(ORDER, 7, now=later) is None
    assert world.records.save(snapshot(rev(400), ident=7, subject=None), now=later) is Outcome.ACCEPTED


def paypal_record(event_id: str = "WH-1", subject: str | None = "s1") -> PaypalRecord:
    return PaypalRecord(event_id, "payment", Category.PAYMENT, NOW - DAY, {"order_id": 1234},
                        sealed={"payer": "v1.x"} if subject else {}, subject=subject)


def test_paypal_event_has_one_effect(world: World) -> None:
    assert world.events.record(paypal_record(), now=NOW) is Outcome.ACCEPTED
    assert world.events.record(paypal_record(), now=NOW + 60) is Outcome.DUPLICATE
    stored = world.events.get("WH-1", now=NOW)
    assert stored is not None and stored.subject == "s1" and stored.sealed == {"payer": "v1.x"}
    assert stored.category == "payment" and stored.expires_at == NOW - DAY + (2555 + 1095) * DAY


def test_paypal_event_of_a_suppressed_subject_is_not_written(world: World) -> None:
    world.keys.suppress("s1", at=NOW, expires_at=NOW + DAY)
    assert world.events.record(paypal_record(), now=NOW) is Outcome.SUPPRESSED
    assert world.events.get("WH-1", now=NOW) is None
    assert world.events.record(paypal_record(subject=None), now=NOW) is Outcome.ACCEPTED


# -- Airwallex ----------------------------------------------------------------------------------------------------
def airwallex_record(revision: str, event_id: str = "evt_1", *, status: str = "SUCCEEDED",
                     subject: str | None = "s1", category: Category = Category.PAYMENT) -> AirwallexRecord:
    return AirwallexRecord("payment_intent", "int_1", event_id, revision, "payment" if category is Category.PAYMENT
                           else "dispute", category, NOW - DAY, {"event_id": event_id, "status": status,
                                                                 "order_id": 1234},
                           sealed={"customer": "v1.x"} if subject else {}, subject=subject)


def test_airwallex_newest_state_wins_and_a_retry_is_a_duplicate(world: World) -> None:
    store = world.airwallex
    assert store.record(airwallex_record("000000000100.5.aa"), now=NOW) is Outcome.ACCEPTED
    assert store.record(airwallex_record("000000000100.5.aa"), now=NOW + 60) is Outcome.DUPLICATE
    assert store.record(airwallex_record("000000000099.3.ff", "evt_0", status="REQUIRES_CAPTURE"),
                        now=NOW) is Outcome.STALE
    assert store.record(airwallex_record("000000000100.3.ff", "evt_0", status="REQUIRES_CAPTURE"),
                        now=NOW) is Outcome.STALE  # same second, earlier status
    stored = world.airwallex.get("payment_intent", "int_1", now=NOW)
    assert stored is not None and stored.data["status"] == "SUCCEEDED" and stored.rev == "000000000100.5.aa"
    assert stored.subject == "s1" and stored.sealed == {"customer": "v1.x"} and stored.category == "payment"
    assert stored.expires_at == NOW - DAY + (2555 + 1095) * DAY
    assert store.record(airwallex_record("000000000200.5.00", "evt_2", status="CANCELLED"),
                        now=NOW) is Outcome.ACCEPTED
    newer = world.airwallex.get("payment_intent", "int_1", now=NOW)
    assert newer is not None and newer.data["status"] == "CANCELLED"


def test_airwallex_same_event_after_a_newer_one_is_a_duplicate(world: World) -> None:
    world.airwallex.record(airwallex_record("000000000200.5.00", "evt_2"), now=NOW)
    assert world.airwallex.record(airwallex_record("000000000200.5.01", "evt_2"), now=NOW) is Outcome.ACCEPTED
    assert world.airwallex.record(airwallex_record("000000000100.5.00", "evt_2"), now=NOW) is Outcome.DUPLICATE


def test_airwallex_object_of_a_suppressed_subject_is_not_written(world: World) -> None:
    world.keys.suppress("s1", at=NOW, expires_at=NOW + DAY)
    assert world.airwallex.record(airwallex_record("000000000100.5.aa"), now=NOW) is Outcome.SUPPRESSED
    assert world.airwallex.get("payment_intent", "int_1", now=NOW) is None
    assert world.airwallex.record(airwallex_record("000000000100.5.aa", subject=None), now=NOW) is Outcome.ACCEPTED


def test_airwallex_disputes_are_kept_for_the_dispute_period(world: World) -> None:
    world.airwallex.record(airwallex_record("000000000100.1.aa", category=Category.DISPUTE), now=NOW)
    stored = world.airwallex.get("payment_intent", "int_1", now=NOW)
    assert stored is not None and stored.category == "dispute" and stored.kind == "dispute"
# -- end Airwallex ------------------------------------------------------------------------------------------------
