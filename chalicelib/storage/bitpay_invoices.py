"""BitPay invoices: one item per invoice, holding the newest status BitPay's API confirmed.

    `BITPAY#<invoice id>` / `INVOICE`   kind `bitpay_payment`, category `payment`, `rev` = "<rank, 2 digits>.<status>"
                                        subject link `BITPAY_PAYMENT#<invoice time, 10 digits>#<invoice id>`,
                                        else the awaiting-order marker when it names an order (late_links.py)

The item is put only if absent (or expired) or if its `rev` is lower than the new one (one conditional put, behind
the subject's guards in the same transaction); a failed condition returns the stored item in the same round trip,
which tells a duplicate (same invoice and status) from a stale delivery (an older status): an older status never
overwrites a newer one, whatever the order the IPNs arrive in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.storage.late_links import awaiting_attributes
from chalicelib.storage.orders import Outcome, write_record
from chalicelib.storage.sealed_writes import SealedFields, SealedWrites
from chalicelib.storage.subject_items import retention_attributes, subject_link
from chalicelib.storage.table import DynamoTable

INVOICE_PREFIX = "BITPAY#"
INVOICE_SK = "INVOICE"
KIND = "bitpay_payment"


@dataclass(frozen=True)
class BitpayRecord(SealedFields):
    invoice_id: str
    rev: str
    category: Category
    retention_start: int
    data: dict[str, Any]


@dataclass(frozen=True)
class StoredInvoice:
    invoice_id: str
    rev: str
    category: str
    expires_at: int
    data: dict[str, Any]
    sealed: dict[str, str]
    subject: str | None


class BitpayInvoiceStore(Protocol):
    def record(self, record: BitpayRecord, *, now: int) -> Outcome: ...

    def get(self, invoice_id: str, *, now: int) -> StoredInvoice | None: ...


def subject_ident(record: BitpayRecord) -> str:
    return f"{max(0, record.retention_start):010d}#{record.invoice_id}"


class DynamoBitpayInvoiceStore:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy, sealed: SealedWrites) -> None:
        self.table = table
        self.policy = policy
        self.sealed = sealed

    def record(self, record: BitpayRecord, *, now: int) -> Outcome:
        pk = f"{INVOICE_PREFIX}{record.invoice_id}"
        item: dict[str, Any] = {
            "pk": pk, "sk": INVOICE_SK, "kind": KIND, "rev": record.rev, "data": record.data, "created_at": now,
            "updated_at": now,
            **retention_attributes(self.policy, record.category, record.retention_start, pk, INVOICE_SK),
        }
        if record.sealed:
            item["sealed"] = record.sealed
        if record.subject:
            item.update(subject_link(record.subject, KIND, subject_ident(record)))
        else:  # its order may come later: a late link (storage/late_links.py)
            item.update(awaiting_attributes(record.data.get("order_id"), pk, INVOICE_SK,
                                            f"{KIND.upper()}#{subject_ident(record)}"))
        put = self.table.tx_put(item, "attribute_not_exists(pk) OR expires_at <= :now OR rev < :rev",
                                {":now": now, ":rev": record.rev}, old_on_failure=True)
        outcome = write_record(self.table, self.sealed, record.subject, record.new_key, record.readable_until, [put],
                               now=now)
        if isinstance(outcome, Outcome):
            return outcome
        return Outcome.DUPLICATE if (outcome or {}).get("rev") == record.rev else Outcome.STALE

    def get(self, invoice_id: str, *, now: int) -> StoredInvoice | None:
        item = self.table.get(f"{INVOICE_PREFIX}{invoice_id}", INVOICE_SK, now=now)
        if item is None:
            return None
        link = item.get("subject_pk")
        return StoredInvoice(invoice_id, str(item.get("rev", "")), str(item.get("category")),
                             int(item["expires_at"]), dict(item.get("data") or {}), dict(item.get("sealed") or {}),
                             str(link)[len("SUBJ#"):] if link else None)
