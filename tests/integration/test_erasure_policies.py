"""The erasure receipt's processors follow the store's policy file: the recipients that received what the erasure
met, each with its erasure channel, for each of the three stores and a fourth one written in the tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import NOW
from tests.fakes.policies import RECEIVED, fourth_policy
from tests.fakes.subjects import EMAIL, deletion_request, erase, mail_text, seed_subject, sent_mail
from tests.helpers import POLICIES, store_policy


def erased(container: Any, policy: Any) -> dict[str, Any]:
    container.override(store_policy=policy)
    seed_subject(container)
    return dict(erase(container, deletion_request(container)).result["receipt"])


@pytest.mark.parametrize("name", POLICIES)
def test_receipt_lists_the_recipients_that_received_the_data_with_their_channels(container: Any,
                                                                                 name: str) -> None:
    policy = store_policy(name)
    receipt = erased(container, policy)
    processors = {p["key"]: p for p in receipt["processors"]}
    assert set(processors) == RECEIVED[name]
    assert [p["key"] for p in receipt["processors"]] == [k for k in policy.recipients if k in RECEIVED[name]]
    for key, entry in processors.items():
        recipient = policy.recipients[key]
        assert (entry["name"], entry["role"], entry["erasure"]) == (recipient.name, recipient.role,
                                                                    recipient.erasure)
        assert entry["status"] == ("acknowledged" if recipient.kind == "hosting" else "pending") and entry["action"]
    platform = next(key for key, r in policy.recipients.items() if r.kind == "platform")
    assert platform in processors  # the store itself received the orders and the profile
    assert receipt["kept"]["request"]["why"] == policy.categories["privacy_request"].legal_basis
    text = mail_text(next(m for m in sent_mail() if m["To"] == EMAIL))
    for entry in processors.values():
        assert entry["name"] in text


def test_an_api_channel_says_which_connector(container: Any) -> None:
    receipt = erased(container, store_policy("jetkrate"))
    analytics = next(p for p in receipt["processors"] if p["key"] == "google_analytics")
    assert analytics["erasure"] == "api:ga4" and "ga4 connector" in analytics["action"]
    assert all(p["erasure"] == "manual" for p in receipt["processors"] if p["key"] != "google_analytics")


def test_a_fourth_store_gets_its_own_processors_and_channels(container: Any) -> None:
    receipt = erased(container, fourth_policy())
    processors = {p["key"]: p for p in receipt["processors"]}
    assert set(processors) == {"woocommerce", "aws", "helpdesk"}
    helpdesk = processors["helpdesk"]
    assert helpdesk["erasure"] == "email:privacy@helpdesk.example"
    assert "by e-mail to privacy@helpdesk.example" in helpdesk["action"]
    assert "PayPal" not in str(receipt["processors"])


def test_nothing_received_means_no_processor(container: Any) -> None:
    from chalicelib.services import privacy_requests as service

    submitted = service.submit_request(container, email="nobody@example.org", request_type="deletion",
                                       channel="web", received_at=NOW, needs_verification=False)
    request = service.fulfil(container, service.get_request(container, submitted.request_id, now=NOW), now=NOW,
                             inline=True)
    receipt = erase(container, request).result["receipt"]
    assert receipt["processors"] == [] and receipt["deleted"] == {}


@pytest.mark.parametrize(("source", "told", "not_told"), [("Airwallex", "airwallex", "paypal"),
                                                          ("BitPay", "bitpay", "paypal"),
                                                          (None, "paypal", "airwallex")])
def test_a_payment_record_counts_for_the_provider_that_sent_it(container: Any, source: str | None, told: str,
                                                                not_told: str) -> None:
    from chalicelib.domain.retention import Category
    from tests.fakes.subjects import put_subject_item

    container.override(store_policy=store_policy("jetkrate"))
    subject = container.subject_for_email(EMAIL)
    put_subject_item(container, subject, pk="PAYMENT#X1", sk="PAYMENT", kind="payment", ident="X1",
                     category=Category.PAYMENT, start=NOW - 86_400,
                     data={"amount": "9.00", **({"source": source} if source else {})}, personal={"payer": {}})
    receipt = erase(container, deletion_request(container)).result["receipt"]
    keys = {p["key"] for p in receipt["processors"]}
    assert told in keys and not_told not in keys
