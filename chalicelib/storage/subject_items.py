"""The convention every item that holds data about a subject follows (orders, payments, disputes, customer
profiles, consent events linked to an account, marketing preferences, privacy requests, correspondence, ...).

    pk, sk        the item's own key (e.g. ORDER#1234 / ORDER)
    subject_pk    "SUBJ#<subject id>"        -> subject_index: everything about one subject, without a Scan
    subject_sk    "<KIND>#<sortable id>"
    kind          "order" | "customer" | "payment" | "dispute" | "consent_event" | "marketing" | "request" | ...
    category      the retention category (chalicelib.domain.retention.Category)
    data          non-personal fields (plain)
    sealed        {field name: sealed value}: personal fields, encrypted with the subject's data key
                  (`SubjectCipher.seal_json(field, value)`; the field name is the associated data)
    created_at / updated_at (epoch seconds)
    expires_at    TTL: end of retention (for `anonymise` categories: end of retention + the anonymised-record period,
                  so the TTL safety net never deletes what the retention run must first anonymise)
    due_pk/due_sk sparse due_index: "DUE#<category>" / "<due epoch, 10 digits>#<pk>#<sk>"; the retention run queries
                  due_pk = DUE#<category> AND due_sk <= now (work grows with due items, not with the table)

Export reads the subject_index and opens `sealed`; erasure deletes the subject's items, anonymises the ones a legal
obligation keeps (`sealed` removed, linking identifiers cleared, subject link removed), then shreds the key.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.storage.subject_keys import subject_pk

DUE_PREFIX = "DUE#"


def due_attributes(category: Category | str, due_at: int, pk: str, sk: str) -> dict[str, str]:
    return {"due_pk": f"{DUE_PREFIX}{Category(category).value}", "due_sk": f"{due_at:010d}#{pk}#{sk}"}


def retention_attributes(policy: RetentionPolicy, category: Category | str, start: int, pk: str, sk: str,
                         *, index_due: bool = True) -> dict[str, Any]:
    """`category`, `expires_at` and (optionally) the due-index keys of an item whose retention starts at `start`."""
    rule = policy.rule(category)
    due = rule.expires_at(start)
    expires = due
    if rule.action == "anonymise":
        expires = due + policy.rule(Category.ANONYMISED_RECORD).seconds
    attributes: dict[str, Any] = {"category": rule.category.value, "expires_at": expires}
    if index_due:
        attributes.update(due_attributes(rule.category, due, pk, sk))
    return attributes


def subject_link(subject: str, kind: str, ident: str) -> dict[str, str]:
    return {"subject_pk": subject_pk(subject), "subject_sk": f"{kind.upper()}#{ident}", "kind": kind}
