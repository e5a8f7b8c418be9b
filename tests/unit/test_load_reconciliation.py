"""The load harness's reconciliation (load/__main__.py `reconcile`) finds what is missing, doubled, unacknowledged or
stored at an older version than acknowledged, and passes a table that matches."""

from __future__ import annotations

from typing import Any

from load.__main__ import reconcile


def item(pk: str, sk: str, **extra: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in extra.items()}}


ACKS: list[dict[str, Any]] = [
    {"kind": "order", "code": 200, "key": 1, "version": 1_900_000_000, "answer": {"status": "accepted"}},
    {"kind": "order", "code": 200, "key": 1, "version": 1_900_000_001, "answer": {"status": "accepted"}},
    {"kind": "order", "code": 503, "key": 2, "version": 1_900_000_000, "answer": None},
    {"kind": "airwallex", "code": 200, "key": "int_a", "answer": {"status": "accepted"}},
    {"kind": "bitpay", "code": 200, "key": "InvoiceA1", "answer": {"status": "duplicate"}},
    {"kind": "consent", "code": 201, "key": "vis-1", "answer": {"consent_id": "c1"}},
    {"kind": "consent", "code": 429, "key": "vis-1", "answer": {"error": "rate_limited"}},
    {"kind": "paypal", "code": 200, "key": "WH-1", "answer": {"status": "accepted"}},
    {"kind": "paypal", "code": 200, "key": "WH-1", "answer": {"status": "duplicate"}},  # PayPal's retry
    {"kind": "paypal_forged", "code": 401, "key": "WH-FORGED-1", "answer": {"error": "unauthorized"}},
]
GOOD = [item("ORDER#1", "ORDER", rev="001900000001.1.ab"), item("AIRWALLEX#payment_intent#int_a", "STATE"),
        item("BITPAY#InvoiceA1", "INVOICE"), item("CONSENT#V.x", "LEDGER#1795435200#c1"), item("CONSENT#V.x", "STATE"),
        item("PAYPAL#WH-1", "EVENT"), item("SUBJ#s", "KEY")]


def problems(items: list[dict[str, Any]]) -> dict[str, list[str]]:
    checks, _ = reconcile(ACKS, items)
    return {check.what: check.problems for check in checks}


def test_a_matching_table_passes_and_derived_items_are_counted_apart() -> None:
    checks, other = reconcile(ACKS, GOOD)
    assert all(check.ok for check in checks)
    assert [check.acknowledged for check in checks] == [1, 1, 1, 1, 1]
    assert other == {"CONSENT state": 1, "SUBJ": 1}


def test_missing_doubled_unacknowledged_and_stale_items_are_reported() -> None:
    assert problems(GOOD[1:])["orders (WooCommerce)"] == ["1 not stored"]
    assert problems([*GOOD, item("ORDER#2", "ORDER", rev="001900000000.1.cd")])["orders (WooCommerce)"] == \
        ["2 stored but never acknowledged"]
    assert problems([*GOOD, item("CONSENT#V.y", "LEDGER#1795435201#c1")])["consent events"] == ["c1 stored 2 times"]
    stale = [item("ORDER#1", "ORDER", rev="001900000000.1.ab"), *GOOD[1:]]
    assert problems(stale)["orders (WooCommerce)"] == \
        ["order 1 at version 1900000000, newest acknowledged 1900000001"]
    assert problems(GOOD[:2] + GOOD[3:])["BitPay invoices"] == ["InvoiceA1 not stored"]
    assert problems([*GOOD, item("PAYPAL#WH-FORGED-1", "EVENT")])["PayPal events"] == \
        ["WH-FORGED-1 stored but never acknowledged"]
    assert problems([*GOOD, item("PAYPAL#WH-1", "EVENT")])["PayPal events"] == ["WH-1 stored 2 times"]
    assert problems([i for i in GOOD if i["pk"]["S"] != "PAYPAL#WH-1"])["PayPal events"] == ["WH-1 not stored"]


def test_a_forged_paypal_delivery_that_was_not_refused_is_reported() -> None:
    acks = [*ACKS, {"kind": "paypal_forged", "code": 200, "key": "WH-FORGED-2", "answer": {"status": "accepted"}}]
    checks, _ = reconcile(acks, GOOD)
    assert {check.what: check.problems for check in checks}["PayPal events"] == \
        ["a forged PayPal delivery answered 200"]
