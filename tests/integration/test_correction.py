"""A correction (GDPR Art. 16) that corrects, at service level on moto, relayed to a fake WooCommerce REST API on
127.0.0.1: the records corrected and sealed as before, the store told (auth and body checked by the fake), retries
by the scheduled job, operator tasks for what cannot be done automatically, the subject's mail (field names only),
and nothing of the new values in the clear (table, audit, logs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.crypto.vault import open_fields
from chalicelib.domain.privacy_requests import Status
from chalicelib.payloads.woocommerce import CustomerPayload, OrderPayload
from chalicelib.services import privacy_requests as service
from chalicelib.services.privacy_requests.correction import STORE_ATTEMPTS
from chalicelib.services.record_woocommerce import record_customer, record_order
from tests.conftest import NOW, load_event
from tests.fakes import woocommerce_api
from tests.fakes.subjects import sent_mail

EMAIL = "jana.mueller@example.org"
NEW = {"last_name": "Schmidt-Korrigiert", "billing": {"address_1": "Neue Allee 99", "city": "Potsdam",
                                                       "postcode": "14467"},
       "shipping": {"city": "Potsdam"}}
NEW_VALUES = ["Schmidt-Korrigiert", "Neue Allee 99", "Potsdam", "14467"]


@pytest.fixture
def store(local_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[woocommerce_api.FakeWooCommerce]:
    yield from woocommerce_api.running(monkeypatch)


def seed(container: Any, *, customer: bool = True, order_id: int = 1234) -> str:
    ports = container.webhook_ports
    if customer:
        record_customer(CustomerPayload.model_validate(load_event("woocommerce/customer.created.payload.json")), ports)
    order = {**load_event("woocommerce/order.created.payload.json"), "id": order_id}
    if not customer:
        order["customer_id"] = 0
    record_order(OrderPayload.model_validate(order), ports)
    return str(container.subject_for_email(EMAIL))


def submit(container: Any, changes: dict[str, Any], *, channel: str = "account", customer_id: str | None = "57",
           order_ids: list[int] | None = None) -> Any:
    submitted = service.submit_request(container, email=EMAIL, request_type="correction", channel=channel,
                                       received_at=NOW, needs_verification=False, customer_id=customer_id,
                                       changes=changes, order_ids=order_ids)
    request = service.get_request(container, submitted.request_id, now=NOW)
    return service.fulfil_safely(container, request, now=NOW)


def mail_text(message: Any) -> str:
    """The text of a sent mail (parsed again with the modern policy: its 8bit UTF-8 body decodes as sent)."""
    import email
    import email.policy

    parsed = email.message_from_string(message.as_string(), policy=email.policy.default)
    return str(parsed.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def opened(container: Any, subject: str, pk: str, sk: str) -> dict[str, Any]:
    item = container.table.get(pk, sk, now=NOW)
    return open_fields(container.vault.cipher_for_reading(subject), item["sealed"])


def audit_text(container: Any, request_id: str) -> str:
    return json.dumps([entry.__dict__ for entry in service.audit_trail(container, request_id, now=NOW)],
                      ensure_ascii=False)


def test_a_correction_corrects_the_profile_and_orders_and_reaches_the_store(
        store: Any, container: Any, table_items: Any, log_output: Any) -> None:
    store.add_customer(57, email=EMAIL, first_name="Jana", last_name="Müller")
    subject = seed(container)
    done = submit(container, NEW)
    assert done.status is Status.COMPLETED
    # this backend's records, sealed again with the subject's key
    profile = opened(container, subject, "CUSTOMER#57", "PROFILE")
    assert profile["name"] == {"first_name": "Jana", "last_name": "Schmidt-Korrigiert"}
    assert profile["billing"]["city"] == "Potsdam" and profile["billing"]["address_1"] == "Neue Allee 99"
    assert profile["billing"]["phone"] == "+49 30 1234567"  # what was not asked for stays
    assert profile["email"] == EMAIL
    order = opened(container, subject, "ORDER#1234", "ORDER")
    assert order["billing"]["postcode"] == "14467" and order["shipping"]["city"] == "Potsdam"
    assert order["billing"]["last_name"] == "Müller"  # an order's name is its billing name: not asked for
    # the store: one PUT with its keys and WooCommerce's customer schema (no e-mail)
    [call] = store.calls
    assert call.method == "PUT" and call.path == "/wp-json/wc/v3/customers/57" and call.authorised
    assert call.body == NEW
    assert store.customers[57]["billing"]["city"] == "Potsdam" and store.customers[57]["last_name"] == \
        "Schmidt-Korrigiert"
    # the answer: field names only
    [mail] = [m for m in sent_mail() if m["To"] == EMAIL]
    text = mail_text(mail)
    assert "billing address: city" in text and "last name" in text and "Left to a member" not in text
    for value in NEW_VALUES:
        assert value not in text
    state = done.result["correction"]
    assert state["store"] == "updated" and state["tasks"] == [] and state["local"]["orders"] == [1234]
    assert done.params["fields"] == ["billing.address_1", "billing.city", "billing.postcode", "last_name",
                                     "shipping.city"]
    audit = audit_text(container, done.request_id)
    assert "billing.city" in audit and "fields_changed" in audit
    # nothing of the new values in the clear: not in the table (the changes are sealed on the request), not logged
    raw = json.dumps(table_items(), default=repr, ensure_ascii=False)
    logs = log_output()
    for value in [*NEW_VALUES, "Müller", EMAIL]:
        assert value not in raw, value
        assert value not in logs, value
        assert value not in audit, value


def test_a_store_failure_is_retried_by_the_scheduled_job(store: Any, container: Any) -> None:
    store.add_customer(57)
    seed(container)
    store.faults.fail_next = [503]
    waiting = submit(container, {"first_name": "Janna"})
    assert waiting.status is Status.IN_PROGRESS and waiting.result["correction"]["store"] == "retry"
    assert waiting.result["correction"]["local"]["profiles"] == 1  # this backend's part is done already
    [work] = container.privacy_requests.due_work("fulfil", until=NOW + 3600, now=NOW)
    assert work.request_id == waiting.request_id and work.at == NOW + 15 * 60
    assert not [m for m in sent_mail() if m["To"] == EMAIL]  # told once, when done
    early = service.run_scheduled_request_work(container, now=NOW + 60, dry_run=False)
    assert early["fulfilled"] == 0 and len(store.calls) == 1
    store.faults.slow = True  # a timeout is a failure worth retrying too
    service.run_scheduled_request_work(container, now=NOW + 15 * 60, dry_run=False)
    again = service.get_request(container, waiting.request_id, now=NOW)
    assert again.status is Status.IN_PROGRESS and again.result["correction"]["store_attempts"] == 2
    store.faults.slow = False
    counts = service.run_scheduled_request_work(container, now=NOW + 3 * 3600, dry_run=False)
    assert counts["fulfilled"] == 1
    done = service.get_request(container, waiting.request_id, now=NOW)
    assert done.status is Status.COMPLETED and store.customers[57]["first_name"] == "Janna"
    assert container.privacy_requests.due_work("fulfil", until=NOW + 10**7, now=NOW) == []
    assert len([m for m in sent_mail() if m["To"] == EMAIL]) == 1


def test_a_store_that_stays_unreachable_becomes_an_operator_task(store: Any, container: Any) -> None:
    store.add_customer(57)
    seed(container)
    store.faults.fail_next = [502] * STORE_ATTEMPTS
    request = submit(container, {"first_name": "Janna"})
    at = NOW
    for _ in range(STORE_ATTEMPTS):
        at += 2 * 86400
        service.run_scheduled_request_work(container, now=at, dry_run=False)
    final = service.get_request(container, request.request_id, now=NOW)
    assert final.status is Status.IN_PROGRESS and final.result["correction"]["store"] == "unreachable"
    assert len(store.calls) == STORE_ATTEMPTS
    assert "store unreachable (HTTP 502)" in final.result["correction"]["tasks"][0]
    assert container.privacy_requests.due_work("fulfil", until=NOW + 10**8, now=NOW) == []


def test_a_refusal_by_the_store_is_an_operator_task_completed_with_cli_complete(store: Any,
                                                                                  container: Any) -> None:
    seed(container)  # the store does not know customer 57: 400 woocommerce_rest_invalid_id
    request = submit(container, {"billing": {"phone": "+49 30 7654321"}})
    assert request.status is Status.IN_PROGRESS
    state = request.result["correction"]
    assert state["store"] == "rejected" and state["store_code"] == "woocommerce_rest_invalid_id"
    assert state["tasks"] == ["store rejected (HTTP 400 woocommerce_rest_invalid_id): correct billing.phone in "
                              "WooCommerce"]
    assert "left to a person" in audit_text(container, request.request_id)
    assert container.privacy_requests.due_work("fulfil", until=NOW + 10**7, now=NOW) == []
    text = mail_text(next(m for m in sent_mail() if m["To"] == EMAIL))
    assert "billing address: phone" in text and "the store refused" in text and "7654321" not in text
    done = service.complete_correction(container, request_id=request.request_id, note="phone changed in WP admin",
                                       actor="operator:ops", now=NOW + 60)
    assert done.status is Status.COMPLETED


def test_wrong_store_keys_are_a_refusal_not_a_retry(store: Any, container: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WOOCOMMERCE_CONSUMER_SECRET", "cs_not_the_right_secret")
    store.add_customer(57)
    seed(container)
    request = submit(container, {"first_name": "Janna"})
    assert request.result["correction"]["store"] == "rejected" and request.result["correction"]["store_status"] == 401
    assert not store.calls[0].authorised and store.customers[57]["first_name"] == ""


def test_an_address_change_and_an_anonymised_order_are_left_to_a_person(store: Any, container: Any) -> None:
    store.add_customer(57)
    subject = seed(container)
    changes = {"email": "jana.new@example.org", "billing": {"city": "Potsdam"}}
    request = submit(container, changes, order_ids=[1234, 999])
    state = request.result["correction"]
    assert request.status is Status.IN_PROGRESS
    assert state["tasks"] == ["email: change the address (the subject id changes with it)",
                              "order 999: anonymised or not the subject's, cannot be corrected"]
    assert state["local"]["orders"] == [1234] and state["local"]["orders_not_held"] == [999]
    assert opened(container, subject, "ORDER#1234", "ORDER")["billing"]["city"] == "Potsdam"
    assert opened(container, subject, "CUSTOMER#57", "PROFILE")["email"] == EMAIL  # the address is not changed
    assert store.calls[0].body == {"billing": {"city": "Potsdam"}}  # never the e-mail
    text = mail_text(next(m for m in sent_mail() if m["To"] == EMAIL))
    assert "e-mail address: changing it" in text and "order 999" in text and "jana.new" not in text


def test_a_guest_without_a_store_account_gets_the_orders_corrected_and_a_task_for_the_store(
        store: Any, container: Any) -> None:
    subject = seed(container, customer=False)
    request = submit(container, {"billing": {"city": "Potsdam"}}, channel="web", customer_id=None)
    assert store.calls == []
    assert request.result["correction"]["store"] == "no_customer"
    assert request.result["correction"]["tasks"] == ["store no_customer: correct billing.city in WooCommerce"]
    assert opened(container, subject, "ORDER#1234", "ORDER")["billing"]["city"] == "Potsdam"


def test_without_store_keys_the_store_part_is_an_operator_task(local_env: dict[str, str], container: Any) -> None:
    seed(container)
    request = submit(container, {"first_name": "Janna"})
    assert request.result["correction"]["store"] == "not_configured"
    assert request.status is Status.IN_PROGRESS


def test_a_correction_without_changes_is_handed_to_the_operator_as_before(container: Any) -> None:
    seed(container)
    request = submit(container, {})
    assert request.status is Status.IN_PROGRESS and "correction" not in request.result
    assert "handed to the operator" in audit_text(container, request.request_id)
    assert service.complete_correction(container, request_id=request.request_id, note="done", actor="operator:x",
                                       now=NOW).status is Status.COMPLETED


def test_an_erased_orders_address_is_not_touched(store: Any, container: Any) -> None:
    """An order anonymised by an erasure (or the retention run) has no subject link: a correction never reaches it."""
    store.add_customer(57)
    seed(container)
    seed(container, order_id=4321)
    anonymised = container.table.get("ORDER#4321", "ORDER", now=NOW)
    container.table.put({k: v for k, v in anonymised.items() if k not in ("sealed", "subject_pk", "subject_sk")}
                        | {"category": "anonymised_record"})
    request = submit(container, {"billing": {"city": "Potsdam"}}, order_ids=[4321])
    assert request.result["correction"]["local"]["orders_not_held"] == [4321]
    after = container.table.get("ORDER#4321", "ORDER", now=NOW)
    assert "sealed" not in after and after["category"] == "anonymised_record"


def test_changes_on_another_type_are_refused_and_nothing_is_stored(container: Any, table_items: Any) -> None:
    from chalicelib.errors import InvalidInputError

    before = table_items()
    with pytest.raises(InvalidInputError) as refused:
        service.submit_request(container, email=EMAIL, request_type="access", channel="account", received_at=NOW,
                               needs_verification=False, changes={"first_name": "X"})
    assert refused.value.field == "changes" and table_items() == before


def test_the_operator_sees_the_tasks_in_cli_show_and_completes_them(store: Any, container: Any) -> None:
    import io

    from chalicelib.cli.commands import main

    seed(container)
    request = submit(container, {"email": "jana.new@example.org", "first_name": "Janna"})
    out = io.StringIO()
    assert main(["show", request.request_id], container=container, out=out) == 0
    shown = out.getvalue()
    assert "correction: left to a person: email: change the address" in shown
    assert "store rejected (HTTP 400 woocommerce_rest_invalid_id): correct first_name" in shown
    assert "jana.new" not in shown and "Janna" not in shown
    out = io.StringIO()
    assert main(["--operator", "dpo", "complete", request.request_id, "--note", "address changed in WP"],
                container=container, out=out) == 0
    assert service.get_request(container, request.request_id, now=NOW).status is Status.COMPLETED
    out = io.StringIO()
    assert main(["complete", request.request_id, "--note", "again"], container=container, out=out) == 1


def test_a_record_changed_meanwhile_leaves_the_work_for_the_scheduled_job(store: Any, container: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A webhook that stores a newer version between the read and the write wins (the write's condition fails):
    nothing half-done is recorded, and the next run corrects the newer version."""
    from chalicelib.storage.corrections import DynamoCorrections

    store.add_customer(57)
    subject = seed(container)
    real = DynamoCorrections.correct
    calls: list[int] = []

    def changed_once(self: Any, *args: Any, **kwargs: Any) -> bool:
        calls.append(1)
        if len(calls) == 1:
            newer = {**load_event("woocommerce/customer.created.payload.json"),
                     "date_modified_gmt": "2026-11-23T11:00:00", "first_name": "Jana-Maria"}
            record_customer(CustomerPayload.model_validate(newer), container.webhook_ports)
        return bool(real(self, *args, **kwargs))

    monkeypatch.setattr(DynamoCorrections, "correct", changed_once)
    request = submit(container, {"billing": {"city": "Potsdam"}})
    assert request.status is Status.IN_PROGRESS and "correction" not in request.result and store.calls == []
    assert service.run_scheduled_request_work(container, now=NOW + 60, dry_run=False)["fulfilled"] == 1
    done = service.get_request(container, request.request_id, now=NOW)
    assert done.status is Status.COMPLETED
    profile = opened(container, subject, "CUSTOMER#57", "PROFILE")
    assert profile["billing"]["city"] == "Potsdam" and profile["name"]["first_name"] == "Jana-Maria"
