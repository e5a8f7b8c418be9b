"""Use case: erase a subject (GDPR Art. 17, CCPA right to delete), resumable and idempotent.

Steps, each recorded in the erasure's progress item (REQ#<request id> / ERASURE) before the next starts:

0. payments stored before their order (late links) are linked to the subject first (`link_for_subject`);
1. `suppress`: the suppression record (keyed hash only) is written first, so late or replayed webhooks cannot
   resurrect the subject while the rest runs (writers check it; the vault refuses to create a new key);
2. `plan`: a read-only pass over the subject_index counts what will be deleted, anonymised and kept (the receipt's
   numbers, exact whatever happens later), and which recipients of the store's policy received the subject's data
   (`subject_recipients`: the same rule as the export's Art. 15 section), by their policy key;
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
4. `shred`: the subject's data key is deleted (crypto-shredding: every remaining sealed copy, in backups and PITR
   too, is unreadable);
5. `processors`: a tracking state per recipient the plan noted (services/processor_propagation.py: connectors,
   batched e-mail, operator tasks), carried to `acknowledged` or `failed` by the scheduled job;
6. `receipt`: the erasure receipt (what was deleted, what was kept, why and until when, the key destroyed, each
   recipient told with its channel, what is done and its state now) is stored and mailed to the subject.  It is
   written after the steps it reports, so everything it says is true when it is sent; a final update follows
   once every processor is final.  When SES refuses the receipt, its `mail` is "retrying" and the scheduled job
   sends it (processor_propagation: backoff, once, before the final update).

The plan also seals, under the request's own notice key, what must outlive the subject's key: their address (for
the receipt and the final update) and the identifiers processors know them by (WooCommerce customer ids).  That
notice and its key are destroyed after the final update.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.crypto.envelope import SealError, SubjectCipher
from chalicelib.domain.clock import iso
from chalicelib.domain.email_address import is_email
from chalicelib.domain.privacy import DELETED_TEXT, anonymise_data, anonymise_value
from chalicelib.domain.privacy_requests import PrivacyRequest
from chalicelib.domain.retention import Category
from chalicelib.errors import KeyShreddedError, MailDeliveryError
from chalicelib.observability import count, logger
from chalicelib.services.export_subject import delete_exports
from chalicelib.services.processor_propagation import (
    Notice,
    open_notice,
    processor_entries,
    seal_notice,
    start_tracking,
)
from chalicelib.services.subject_recipients import Held, received
from chalicelib.storage.subject_data import Anonymisation, ErasureProgress, SubjectRecord

if TYPE_CHECKING:
    from chalicelib.domain.retention import RetentionPolicy
    from chalicelib.policy.model import StorePolicy
    from chalicelib.services.ports import RightsPorts

STEPS = ("suppress", "plan", "items", "exports", "shred", "processors", "receipt")
BATCH = 25  # a batch of erasure writes (BatchWriteItem takes 25)
KEPT_KINDS = frozenset({"request", "request_audit"})
RECEIPT_RETRYING = "retrying"  # the receipt's `mail` when SES refused it: queued for the scheduled job


def erase_subject(ports: RightsPorts, *, request: PrivacyRequest, email: str | None, now: int) -> dict[str, Any]:
    """Run (or resume) the erasure of the request's subject; returns the erasure receipt."""
    data = ports.subject_data
    progress = data.load_progress(request.request_id, now=now)
    expires_at = ports.policy.expires_at(Category.PRIVACY_REQUEST, request.received_at)

    def step(name: str) -> None:
        progress.steps.append(name)
        data.save_progress(progress, expires_at=expires_at)

    subject = request.subject
    if "suppress" not in progress.steps:
        from chalicelib.services.late_links import link_for_subject

        # before the suppression (which refuses every new link): payments that came before their order are the
        # subject's too, so the plan counts them and their provider is told
        link_for_subject(ports.late_links, ports.subject_data, subject, now=now)
        ports.subject_keys.suppress(subject, at=now, expires_at=ports.policy.expires_at(Category.SUPPRESSION, now))
        from chalicelib.services.marketing_senders import suppress_erased

        suppress_erased(ports, email, now=now)  # the mailing tool's suppression list (keyed hash only)
        step("suppress")
    if "plan" not in progress.steps:
        customer_ids = _count_plan(ports, progress, subject, now=now)
        if request.customer_id:
            customer_ids.add(request.customer_id)
        progress.notice = seal_notice(ports, request.request_id, Notice(email, tuple(sorted(customer_ids))))
        step("plan")
    if "items" not in progress.steps:
        _erase_items(ports, subject, now=now)
        step("items")
    if "exports" not in progress.steps:
        progress.exports_deleted += delete_exports(ports, subject)
        step("exports")
    if "shred" not in progress.steps:
        ports.vault.shred(subject)
        step("shred")
    if "processors" not in progress.steps:
        start_tracking(ports, progress, now=now)
        step("processors")
    if "receipt" not in progress.steps:
        progress.receipt = build_receipt(progress, ports.store_policy, ports.policy, request_id=request.request_id,
                                         now=now, language=request.params.get("language"))
        notice = open_notice(ports, progress)
        progress.receipt["mail"] = _mail_receipt(ports, progress.receipt, request.request_id,
                                                 notice.email if notice else email)
        step("receipt")
    logger.info("erasure done", extra={"request_id": request.request_id,
                                       "deleted": sum(progress.deleted.values()),
                                       "anonymised": sum(progress.anonymised.values())})
    return progress.receipt or {}


def _cipher(ports: RightsPorts, subject: str) -> SubjectCipher | None:
    try:
        return ports.vault.cipher_for_reading(subject)
    except KeyShreddedError:
        return None


def _count_plan(ports: RightsPorts, progress: ErasureProgress, subject: str, *, now: int) -> set[str]:
    """Read-only pass: what will be deleted, anonymised and kept (the receipt's counts, exact whatever happens
    later: the writes that follow are idempotent and carry no counters), and which recipients must be told.
    Returns the WooCommerce customer ids met (what processors such as GA4 may know the person by)."""
    held = Held()
    customer_ids: set[str] = set()
    for record in ports.subject_data.records(subject, now=now):
        if record.kind in KEPT_KINDS:
            continue
        held.add(record.kind, record.category, record.data)
        customer_id = record.data.get("customer_id")
        if isinstance(customer_id, int | str) and not isinstance(customer_id, bool) and str(customer_id) not in (
                "", "0"):
            customer_ids.add(str(customer_id))
        legal_end = _keep_until(ports, record, now=now)
        if legal_end is None:
            progress.deleted[record.kind] = progress.deleted.get(record.kind, 0) + 1
            continue
        progress.anonymised[record.kind] = progress.anonymised.get(record.kind, 0) + 1
        kept = progress.kept.setdefault(record.kind, {"count": 0, "until": 0, "why": ports.policy.rule(
            str(record.category)).legal_basis})
        kept["count"] += 1
        kept["until"] = max(int(kept["until"]), legal_end)
    _note_processors(progress, ports.store_policy, held)
    return customer_ids


def _erase_items(ports: RightsPorts, subject: str, *, now: int) -> None:
    """Passes over the subject's records, written in batches of BATCH (deletions, and anonymised versions put in
    place), until a pass finds nothing left.  Every write is idempotent, so a rerun after a failure simply
    continues with what is still linked to the subject."""
    cipher = _cipher(ports, subject)
    while True:
        processed = 0
        deletions: list[SubjectRecord] = []
        anonymisations: list[Anonymisation] = []
        for record in ports.subject_data.records(subject, now=now):
            if record.kind in KEPT_KINDS:
                continue
            legal_end = _keep_until(ports, record, now=now)
            if legal_end is None:
                deletions.append(record)
            else:
                anonymisations.append(anonymisation(
                    record, cipher, legal_end, now=now, keep_ip=ports.store_policy.ip_addresses.store != "none"))
            if len(deletions) + len(anonymisations) >= BATCH:
                processed += _write(ports, deletions, anonymisations)
                deletions, anonymisations = [], []
        if deletions or anonymisations:
            processed += _write(ports, deletions, anonymisations)
        if processed == 0:
            return


def _write(ports: RightsPorts, deletions: list[SubjectRecord], anonymisations: list[Anonymisation]) -> int:
    written = ports.subject_data.erase(deletions=deletions, anonymisations=anonymisations)
    count("ErasureItems", written)
    return written


def _keep_until(ports: RightsPorts, record: SubjectRecord, *, now: int) -> int | None:
    """End of the legal period when the record must be kept (anonymised); None when it is deleted."""
    try:
        rule = ports.policy.rule(str(record.category))
    except ValueError:
        return None
    if rule.action != "anonymise":
        return None
    legal_end = _legal_end(ports, record)
    return legal_end if legal_end > now else None


def _legal_end(ports: RightsPorts, record: SubjectRecord) -> int:
    """End of the legal period of an `anonymise` record (its due time, else derived from its expiry)."""
    if record.due_at is not None:
        return record.due_at
    return int(record.expires_at or 0) - ports.policy.rule(Category.ANONYMISED_RECORD).seconds


def anonymisation(record: SubjectRecord, cipher: SubjectCipher | None, legal_end: int, *, now: int,
                  keep_ip: bool = True) -> Anonymisation:
    """What WooCommerce's eraser leaves of an order: placeholders for the personal fields, linking identifiers
    cleared; storage drops the sealed fields and the subject link, and deletes it at the end of its legal period.
    A truncated IP stays, as WordPress keeps it, unless the store promises to keep none (`keep_ip=False`)."""
    anonymised: dict[str, Any] = {}
    for name, token in record.sealed.items():
        try:
            value = cipher.open_json(name, token) if cipher else DELETED_TEXT
        except SealError:
            value = DELETED_TEXT
        anonymised[name] = anonymise_value(name, value, keep_ip=keep_ip)
    return Anonymisation(record, anonymise_data(record.data), anonymised, legal_end, now)


def _note_processors(progress: ErasureProgress, policy: StorePolicy, held: Held) -> None:
    """The recipients that received what this erasure met (`subject_recipients`), by their policy key."""
    progress.processors = {key: True for key, _ in received(policy, held)}


def build_receipt(progress: ErasureProgress, policy: StorePolicy, rules: RetentionPolicy, *, request_id: str,
                  now: int, language: str | None = None) -> dict[str, Any]:
    """The erasure receipt; `language` the request's (its mails are written in it, after the request is gone)."""
    kept = {kind: {**info, "until_iso": iso(int(info["until"]))} for kind, info in progress.kept.items()}
    requests = rules.rule(Category.PRIVACY_REQUEST)
    kept["request"] = {"count": 1, "until": 0, "until_iso": f"{requests.days} days after each request",
                       "why": requests.legal_basis}
    return {"request_id": request_id, "erased_at": iso(now), "deleted": dict(progress.deleted),
            "anonymised": dict(progress.anonymised), "kept": kept, "exports_deleted": progress.exports_deleted,
            "key_destroyed": True, "suppressed": True, "processors": processor_entries(progress, policy),
            **({"language": language} if language else {})}


def _mail_receipt(ports: RightsPorts, receipt: dict[str, Any], request_id: str, email: str | None) -> str:
    from chalicelib.adapters.mailer import OutgoingMail
    from chalicelib.mail import templates

    if not email or not is_email(email):
        return "no_address"
    subject_line, text = templates.render("receipt", receipt=_readable(receipt), request_id=request_id,
                                          language=receipt_language(ports, receipt))
    try:
        ports.mailer.send(OutgoingMail(email, subject_line, text, kind="erasure_receipt"))
    except MailDeliveryError:  # SES refused it: the scheduled job sends it later (processor_propagation)
        return RECEIPT_RETRYING
    return "sent"


def receipt_language(ports: RightsPorts, receipt: dict[str, Any] | None) -> str:
    """The language of an erasure's mails: the request's (kept on its receipt), else the store's default."""
    from chalicelib.mail.texts import language_for

    return language_for((receipt or {}).get("language"), ports.store_policy.rights.languages)


def send_receipt(ports: RightsPorts, receipt: dict[str, Any], request_id: str, email: str | None) -> str:
    """The receipt mail again (the scheduled job's retry): "sent", "no_address", or RECEIPT_RETRYING."""
    return _mail_receipt(ports, receipt, request_id, email)


def _readable(receipt: dict[str, Any]) -> dict[str, Any]:
    kept = {kind: {**info, "until": info["until"] or 0} for kind, info in receipt["kept"].items()}
    return {**receipt, "kept": {k: v for k, v in kept.items() if v["until"]}}
