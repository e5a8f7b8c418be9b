"""Use case: erase a subject (GDPR Art. 17, CCPA right to delete), resumable and idempotent.

Steps, each recorded in the erasure's progress item (REQ#<request id> / ERASURE) before the next starts:

1. `suppress`: the suppression record (keyed hash only) is written first, so late or replayed webhooks cannot
   resurrect the subject while the rest runs (writers check it; the vault refuses to create a new key);
2. `plan`: a read-only pass over the subject_index counts what will be deleted, anonymised and kept (the receipt's
   numbers, exact whatever happens later), and which processors must be told;
   `items`: every item of the subject_index is then erased with BatchWriteItem (25 per call, idempotent writes):
   - category action `anonymise` (orders, payments, disputes) whose legal period has not ended: replaced by its
     anonymised version, as WooCommerce does (`anonymise_value` on the opened personal fields: names/addresses
     "[deleted]", e-mail deleted@site.invalid, phone digits 0, IP masked; linking identifiers cleared), without
     `sealed` and without the subject link, re-categorised `anonymised_record` with `expires_at` and due keys at
     the END of the legal period, so the retention run deletes them then;
   - privacy requests and their audit (category `privacy_request`) are kept: proof of compliance (GDPR Art. 5(2));
     their sealed e-mail becomes unreadable with the key;
   - everything else is deleted.
   An item processed leaves the subject_index, so a rerun only sees what is left: idempotent by construction;
3. `exports`: the subject's export objects are deleted from the exports bucket;
4. `receipt`: the erasure receipt (what was deleted, what was kept, why and until when, which processors must be
   told and the status of each) is stored and mailed to the subject (before the key goes: the address is sealed);
5. `shred`: the subject's data key is deleted (crypto-shredding: every remaining sealed copy, in backups and PITR
   too, is unreadable).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.crypto.envelope import SealError, SubjectCipher
from chalicelib.domain.clock import iso
from chalicelib.domain.email_address import is_email
from chalicelib.domain.privacy import DELETED_TEXT, anonymise_data, anonymise_value
from chalicelib.domain.requests import PrivacyRequest
from chalicelib.domain.retention import Category
from chalicelib.errors import KeyShreddedError, StorageUnavailableError
from chalicelib.observability import count, logger
from chalicelib.services.export_subject import ADVERTISING_TOOLS, ANALYTICS_TOOLS, consented_tools, subject_items
from chalicelib.storage.requests import request_pk
from chalicelib.storage.subject_items import DUE_PREFIX, due_attributes
from chalicelib.storage.table import DynamoTable, Item, require_expiry, to_attributes

if TYPE_CHECKING:
    from chalicelib.container import Container

STEPS = ("suppress", "plan", "items", "exports", "receipt", "shred")
BATCH = 25  # BatchWriteItem maximum
ERASURE_SK = "ERASURE"
KEPT_KINDS = frozenset({"request", "request_audit"})


@dataclass
class ErasureProgress:
    request_id: str
    steps: list[str] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)
    kept: dict[str, dict[str, Any]] = field(default_factory=dict)
    processors: dict[str, bool] = field(default_factory=dict)  # which processors must be told
    exports_deleted: int = 0
    receipt: dict[str, Any] | None = None
    version: int = 0

    def to_data(self) -> dict[str, Any]:
        return {"steps": self.steps, "deleted": self.deleted, "anonymised": self.anonymised, "kept": self.kept,
                "processors": self.processors, "exports_deleted": self.exports_deleted, "receipt": self.receipt}

    @classmethod
    def from_item(cls, item: Item) -> ErasureProgress:
        data = item["data"]
        return cls(str(item["pk"]).removeprefix("REQ#"), list(data.get("steps", [])), dict(data.get("deleted", {})),
                   dict(data.get("anonymised", {})), dict(data.get("kept", {})), dict(data.get("processors", {})),
                   int(data.get("exports_deleted", 0)), data.get("receipt"), int(item.get("version", 0)))


class ErasureStore:
    """The progress item, written with optimistic locking (alone, or inside a batch's transaction)."""

    def __init__(self, table: DynamoTable, expires_at: int) -> None:
        self.table = table
        self.expires_at = expires_at

    def load(self, request_id: str, *, now: int) -> ErasureProgress:
        item = self.table.get(request_pk(request_id), ERASURE_SK, now=now)
        return ErasureProgress.from_item(item) if item else ErasureProgress(request_id)

    def save(self, progress: ErasureProgress) -> None:
        """Persist the progress with a conditional put (optimistic lock on `version`); bumps the version."""
        item = {"pk": request_pk(progress.request_id), "sk": ERASURE_SK, "data": progress.to_data(),
                "version": progress.version + 1, "category": Category.PRIVACY_REQUEST.value,
                "expires_at": self.expires_at}
        if progress.version == 0:
            self.table.put(item, condition="attribute_not_exists(pk)")
        else:
            self.table.put(item, condition="version = :v", values={":v": progress.version})
        progress.version += 1


def erase_subject(container: Container, *, request: PrivacyRequest, email: str | None, now: int) -> dict[str, Any]:
    """Run (or resume) the erasure of the request's subject; returns the erasure receipt."""
    store = ErasureStore(container.table, container.policy.expires_at(Category.PRIVACY_REQUEST, request.received_at))
    progress = store.load(request.request_id, now=now)
    subject = request.subject
    if "suppress" not in progress.steps:
        container.subject_keys.suppress(subject, at=now, expires_at=container.policy.expires_at(
            Category.SUPPRESSION, now))
        _step(store, progress, "suppress")
    if "plan" not in progress.steps:
        _count_plan(container, progress, subject, now=now)
        _step(store, progress, "plan")
    if "items" not in progress.steps:
        _erase_items(container, subject, now=now)
        _step(store, progress, "items")
    if "exports" not in progress.steps:
        from chalicelib.services.export_subject import delete_exports

        progress.exports_deleted += delete_exports(container, subject)
        _step(store, progress, "exports")
    if "receipt" not in progress.steps:
        progress.receipt = build_receipt(progress, request_id=request.request_id, now=now)
        progress.receipt["mail"] = _mail_receipt(container, progress.receipt, request.request_id, email)
        _step(store, progress, "receipt")
    if "shred" not in progress.steps:
        container.vault.shred(subject)
        _step(store, progress, "shred")
    logger.info("erasure done", extra={"request_id": request.request_id,
                                       "deleted": sum(progress.deleted.values()),
                                       "anonymised": sum(progress.anonymised.values())})
    return progress.receipt or {}


def _step(store: ErasureStore, progress: ErasureProgress, name: str) -> None:
    progress.steps.append(name)
    store.save(progress)


def _cipher(container: Container, subject: str) -> SubjectCipher | None:
    try:
        return container.vault.cipher_for_reading(subject)
    except KeyShreddedError:
        return None


def _count_plan(container: Container, progress: ErasureProgress, subject: str, *, now: int) -> None:
    """Read-only pass: what will be deleted, anonymised and kept (the receipt's counts, exact whatever happens
    later: the writes that follow are idempotent and carry no counters)."""
    for item in subject_items(container.table, subject, now=now):
        kind = str(item["kind"])
        if kind in KEPT_KINDS:
            continue
        _note_processors(progress, kind, item.get("data") or {})
        legal_end = _keep_until(container, item, now=now)
        if legal_end is None:
            progress.deleted[kind] = progress.deleted.get(kind, 0) + 1
            continue
        progress.anonymised[kind] = progress.anonymised.get(kind, 0) + 1
        kept = progress.kept.setdefault(kind, {"count": 0, "until": 0, "why": container.policy.rule(
            str(item["category"])).legal_basis})
        kept["count"] += 1
        kept["until"] = max(int(kept["until"]), legal_end)


def _erase_items(container: Container, subject: str, *, now: int) -> None:
    """Passes over the subject_index, writing in batches of BATCH (BatchWriteItem: deletions, and anonymised
    versions put in place), until a pass finds nothing left.  Every write is idempotent, so a rerun after a
    failure simply continues with what is still linked to the subject."""
    cipher = _cipher(container, subject)
    while True:
        processed = 0
        batch: list[dict[str, Any]] = []
        for item in subject_items(container.table, subject, now=now):
            if item.get("kind") in KEPT_KINDS:
                continue
            batch.append(_write_for(container, item, cipher, now=now))
            if len(batch) >= BATCH:
                processed += _batch_write(container.table, batch)
                batch = []
        if batch:
            processed += _batch_write(container.table, batch)
        if processed == 0:
            return


def _batch_write(table: DynamoTable, requests: list[dict[str, Any]]) -> int:
    """One BatchWriteItem (at most 25 requests), retrying what DynamoDB leaves unprocessed."""
    from botocore.exceptions import BotoCoreError, ClientError

    pending = {table.name: requests}
    for attempt in range(8):
        try:
            response = table.client.batch_write_item(RequestItems=pending)  # type: ignore[arg-type]
        except (ClientError, BotoCoreError):
            raise StorageUnavailableError("storage error during erasure") from None
        pending = response.get("UnprocessedItems") or {}  # type: ignore[assignment]
        if not pending:
            count("ErasureItems", len(requests))
            return len(requests)
        time.sleep(min(0.05 * 2 ** attempt, 1.0))
    raise StorageUnavailableError("storage throttled during erasure")


def _keep_until(container: Container, item: Item, *, now: int) -> int | None:
    """End of the legal period when the item must be kept (anonymised); None when it is deleted."""
    try:
        rule = container.policy.rule(str(item.get("category")))
    except ValueError:
        return None
    if rule.action != "anonymise":
        return None
    legal_end = _legal_end(container, item)
    return legal_end if legal_end > now else None


def _legal_end(container: Container, item: Item) -> int:
    """End of the legal period of an `anonymise` item (its due key, else derived from its expiry)."""
    due_sk, category = item.get("due_sk"), str(item.get("category"))
    if isinstance(due_sk, str) and item.get("due_pk") == f"{DUE_PREFIX}{category}" and due_sk[:10].isdigit():
        return int(due_sk[:10])
    return int(item["expires_at"]) - container.policy.rule(Category.ANONYMISED_RECORD).seconds


def _write_for(container: Container, item: Item, cipher: SubjectCipher | None, *, now: int) -> dict[str, Any]:
    """The write request that erases one item: its deletion, or its anonymised version."""
    legal_end = _keep_until(container, item, now=now)
    if legal_end is None:
        return {"DeleteRequest": {"Key": DynamoTable.key(item["pk"], item["sk"])}}
    return {"PutRequest": {"Item": to_attributes(anonymised_item(item, cipher, legal_end, now=now))}}


def anonymised_item(item: Item, cipher: SubjectCipher | None, legal_end: int, *, now: int) -> Item:
    """The item as WooCommerce's eraser leaves an order: placeholders for the personal fields, linking identifiers
    cleared, no sealed fields, no subject link; deleted by the retention run at the end of its legal period."""
    anonymised: dict[str, Any] = {}
    for name, token in dict(item.get("sealed") or {}).items():
        try:
            value = cipher.open_json(name, token) if cipher else DELETED_TEXT
        except SealError:
            value = DELETED_TEXT
        anonymised[name] = anonymise_value(name, value)
    kept = {k: v for k, v in item.items() if k not in ("sealed", "subject_pk", "subject_sk", "open_pk", "open_sk")}
    result: Item = {**kept, "data": anonymise_data(dict(item.get("data") or {})), "anonymised": anonymised,
                    "category": Category.ANONYMISED_RECORD.value, "expires_at": legal_end, "anonymised_at": now,
                    "updated_at": now, **due_attributes(Category.ANONYMISED_RECORD, legal_end, item["pk"], item["sk"])}
    require_expiry(result)
    return result


def _note_processors(progress: ErasureProgress, kind: str, data: dict[str, Any]) -> None:
    progress.processors["store"] = True
    method = str(data.get("payment_method") or "").lower()
    if kind in ("payment", "dispute") or "paypal" in method or "ppcp" in method:
        progress.processors["paypal"] = True
    analytics, advertising = consented_tools(kind, data)
    if analytics:
        progress.processors["analytics"] = True
    if advertising:
        progress.processors["advertising"] = True


PROCESSORS = {
    "store": ("The store (WooCommerce)", "source of customer and order records",
              "erase the customer with WordPress' personal data eraser (Tools > Erase Personal Data)"),
    "paypal": ("PayPal", "payment provider (independent controller)",
               "PayPal keeps its own records under its legal obligations; send a deletion request for the payer"),
    "analytics": (", ".join(ANALYTICS_TOOLS), "analytics tools (consented)",
                  "request deletion of the visitor's analytics data (user deletion API / data deletion request)"),
    "advertising": (", ".join(ADVERTISING_TOOLS), "advertising tools (consented)",
                    "request deletion of the visitor's advertising data"),
}


def build_receipt(progress: ErasureProgress, *, request_id: str, now: int) -> dict[str, Any]:
    kept = {kind: {**info, "until_iso": iso(int(info["until"]))} for kind, info in progress.kept.items()}
    kept["request"] = {"count": 1, "until": 0, "until_iso": "3 years after each request",
                       "why": "proof of handling your privacy requests (GDPR Art. 5(2), 12; CCPA § 7101)"}
    processors = [{"key": key, "name": PROCESSORS[key][0], "role": PROCESSORS[key][1], "action": PROCESSORS[key][2],
                   "status": "pending"} for key in PROCESSORS if progress.processors.get(key)]
    if not processors:
        processors = [{"key": "store", "name": PROCESSORS["store"][0], "role": PROCESSORS["store"][1],
                       "action": PROCESSORS["store"][2], "status": "pending"}]
    return {"request_id": request_id, "erased_at": iso(now), "deleted": dict(progress.deleted),
            "anonymised": dict(progress.anonymised), "kept": kept, "exports_deleted": progress.exports_deleted,
            "key_destroyed": True, "suppressed": True, "processors": processors}


def _mail_receipt(container: Container, receipt: dict[str, Any], request_id: str, email: str | None) -> str:
    from chalicelib.mail import templates
    from chalicelib.mail.outbound import MailDeliveryError, send_email

    if not email or not is_email(email):
        return "no_address"
    subject, text = templates.render("receipt", receipt=_readable(receipt), request_id=request_id)
    try:
        send_email(container, to=email, subject=subject, text=text, kind="erasure_receipt")
    except MailDeliveryError:
        return "failed"
    return "sent"


def _readable(receipt: dict[str, Any]) -> dict[str, Any]:
    kept = {kind: {**info, "until": info["until"] or 0} for kind, info in receipt["kept"].items()}
    return {**receipt, "kept": {k: v for k, v in kept.items() if v["until"]}}
