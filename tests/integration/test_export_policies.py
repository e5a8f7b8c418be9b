"""The export's Art. 15 section follows the store's policy file: run once for each of the three stores, and for a
fourth store written here (no code knows it)."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest

from chalicelib.domain.privacy_requests import offered_types
from chalicelib.domain.retention import Category
from tests.conftest import NOW
from tests.fakes.policies import FOURTH_CONTROLLER, RECEIVED, TRANSFERS, fourth_policy
from tests.fakes.subjects import put_subject_item, read_object, seed_subject
from tests.helpers import POLICIES, store_policy


@pytest.fixture(params=POLICIES)
def store(request: pytest.FixtureRequest, container: Any) -> tuple[str, Any]:
    policy = store_policy(request.param)
    container.override(store_policy=policy)
    return request.param, policy


def exported(container: Any, subject: str) -> tuple[dict[str, Any], str]:
    from chalicelib.services.export_subject import export_subject

    result = export_subject(container, subject=subject, request_id="req1", now=NOW)
    document = json.loads(read_object(container, result.json_key))
    assert document["schema_version"] == "1.1"
    return document["information"], read_object(container, result.html_key).decode()


def test_controller_and_policy_are_the_files(container: Any, store: tuple[str, Any]) -> None:
    _, policy = store
    info, _ = exported(container, seed_subject(container))
    controller, file = info["controller"], policy.controller
    assert controller["name"] == file.display_name and controller["legal_name"] == file.legal_name
    assert (controller["trading_name"], controller["registry_code"]) == (file.trading_name, file.registry_code)
    assert (controller["address"], controller["country"]) == (file.address, file.country)
    assert controller["contact"] == controller["contacts"]["privacy"] == file.contacts.privacy
    assert controller["contacts"].get("support") == file.contacts.support
    assert "dpo" not in controller["contacts"]  # none of the three names one
    assert info["policy"] == {"version": policy.policy.version, "effective": policy.policy.effective.isoformat(),
                              "privacy_policy_url": policy.policy.privacy_policy_url,
                              "cookie_policy_url": policy.policy.cookie_policy_url}


def test_only_the_recipients_that_received_the_subjects_data(container: Any, store: tuple[str, Any]) -> None:
    name, policy = store
    info, _ = exported(container, seed_subject(container))
    assert {r["key"] for r in info["recipients"]} == RECEIVED[name]
    for entry in info["recipients"]:
        recipient = policy.recipients[entry["key"]]
        assert (entry["name"], entry["role"], entry["kind"]) == (recipient.name, recipient.role, recipient.kind)
        assert entry["purposes"] == recipient.purposes and entry["country"] == recipient.country
    if name == "jetkrate":
        names = " ".join(r["name"] for r in info["recipients"])
        for absent in ("Meta", "TikTok", "Airwallex", "BitPay", "Botpress", "Tag Manager"):
            assert absent not in names


def test_transfers_list_only_recipients_outside_the_eea_with_their_safeguards(container: Any,
                                                                              store: tuple[str, Any]) -> None:
    name, _ = store
    info, _ = exported(container, seed_subject(container))
    assert {(t["recipient"], t["country"], t["safeguard"]) for t in info["transfers"]} == TRANSFERS[name]
    assert len(info["transfers"]) == len(TRANSFERS[name])  # the US hosting of jetrack is its `aws`, listed once


def test_rights_and_channels_are_the_files(container: Any, store: tuple[str, Any]) -> None:
    _, policy = store
    info, _ = exported(container, seed_subject(container))
    assert info["rights"] == list(policy.rights.offered)
    assert [r["right"] for r in info["rights_offered"]] == list(policy.rights.offered)
    assert all(r["label"] for r in info["rights_offered"])
    # the rights listed are exactly the rights with a flow (a request type the store offers) or that need none
    offered = {kind.value for kind in offered_types(policy.rights.offered)}
    for entry in info["rights_offered"]:
        assert entry.get("request_type") in offered or entry.get("how"), entry
    assert [c["channel"] for c in info["channels"]] == list(policy.rights.channels)
    how = {c["channel"]: c["how"] for c in info["channels"]}
    assert policy.controller.contacts.privacy in how["email"]
    if "letter" in policy.rights.channels:
        assert policy.controller.address in how["letter"] and policy.controller.legal_name in how["letter"]


def test_retention_and_purposes_of_what_is_held(container: Any, store: tuple[str, Any]) -> None:
    _, policy = store
    info, _ = exported(container, seed_subject(container, extra=1))  # one analytics record too
    retention = {r["category"]: r for r in info["retention"]}
    assert set(retention) == {"customer_profile", "order", "payment", "dispute", "consent_ledger",
                              "marketing_preference", "correspondence", "analytics"}
    assert retention["order"]["records"] == 3
    for name, entry in retention.items():
        category = policy.categories[name]
        assert (entry["days"], entry["then"], entry["legal_basis"]) == (category.retention, category.at_expiry,
                                                                          category.legal_basis)
        assert any(category.what.rstrip(".") in p and category.legal_basis in p for p in info["purposes"])
        if category.varies_by:
            assert entry["varies_by"] == {"attribute": category.varies_by.attribute,
                                          "days": dict(category.varies_by.values), "otherwise": category.retention}
        else:
            assert "varies_by" not in entry
    assert ("varies_by" in retention["analytics"]) == (store[0] == "jetrack")  # by plan


def test_html_shows_the_same(container: Any, store: tuple[str, Any]) -> None:
    name, policy = store
    info, page = exported(container, seed_subject(container))
    assert html.escape(policy.controller.display_name) in page and "GDPR Art. 15" in page
    for entry in info["recipients"]:
        assert html.escape(entry["name"]) in page
    for right in info["rights_offered"]:
        assert html.escape(right["label"]) in page
    for transfer in info["transfers"]:
        assert f"<td>{transfer['safeguard']}</td>" in page
    assert ("your data stays in the EEA and the UK" in page) == (not TRANSFERS[name])


def test_a_subject_with_nothing_held_has_no_recipients(container: Any, store: tuple[str, Any]) -> None:
    info, _ = exported(container, "nobody")
    assert info["recipients"] == [] and info["transfers"] == [] and info["retention"] == []


def _shopper(container: Any, *, method: str, effective: dict[str, bool]) -> str:
    subject = container.subject_for_email("shopper@example.org")
    put_subject_item(container, subject, pk="ORDER#900", sk="ORDER", kind="order", ident="900",
                     category=Category.ORDER, start=NOW, data={"order_id": "900", "payment_method": method},
                     personal={"billing": {"first_name": "Ann"}})
    put_subject_item(container, subject, pk=f"CONSENT#A.{subject}", sk="LEDGER#1#c1", kind="consent_event",
                     ident="1#c1", category=Category.CONSENT_LEDGER, start=NOW,
                     data={"action": "custom", "effective": {"essential": True, **effective}})
    return subject


def test_payment_provider_and_consented_vendors_follow_the_subjects_records(container: Any) -> None:
    container.override(store_policy=store_policy("jetkrate"))
    subject = _shopper(container, method="airwallex_card",
                       effective={"analytics": False, "marketing": True, "support": True})
    info, _ = exported(container, subject)
    assert {r["key"] for r in info["recipients"]} == {
        "woocommerce", "aws", "airwallex", "google_tag_manager", "meta_pixel", "tiktok_pixel", "botpress"}
    why = {r["key"]: r["when"] for r in info["recipients"]}
    assert "Marketing" in why["meta_pixel"] and "Chat and support" in why["botpress"]
    assert {(t["recipient"], t["safeguard"]) for t in info["transfers"]} == {("google_tag_manager", "dpf"),
                                                                             ("botpress", "adequacy")}


def test_an_unknown_payment_method_reaches_no_payment_provider(container: Any, store: tuple[str, Any]) -> None:
    subject = _shopper(container, method="cod", effective={"analytics": False, "marketing": False})
    info, _ = exported(container, subject)
    assert {r["kind"] for r in info["recipients"]} == {"platform", "hosting"}


def test_a_fourth_store_written_here_shows_up_without_code_changes(container: Any) -> None:
    policy = fourth_policy()
    container.override(store_policy=policy)
    info, page = exported(container, seed_subject(container))
    controller = info["controller"]
    assert controller["legal_name"] == FOURTH_CONTROLLER["legal_name"] == policy.controller.legal_name
    assert controller["name"] == "Beispiel Handel GmbH (BEISPIEL)" and controller["country"] == "DE"
    assert controller["registry_code"] == FOURTH_CONTROLLER["registry_code"]
    assert controller["contacts"]["dpo"] == FOURTH_CONTROLLER["dpo"]
    assert {r["key"] for r in info["recipients"]} == {"woocommerce", "aws", "helpdesk"}  # no PayPal any more
    assert [(t["recipient"], t["country"], t["safeguard"]) for t in info["transfers"]] == [("helpdesk", "US", "sccs")]
    assert "Beispiel Helpdesk Inc." in page and "JETCLOUDSOLUTIONS" not in json.dumps(info) + page
