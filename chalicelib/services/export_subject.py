"""Use case: export everything held about a subject (GDPR Art. 15 and 20, CCPA right to know).

Generic over the subject_index: every item following the subject-item convention appears (orders, payments,
disputes, customer profile, consent ledger, marketing preference, privacy requests and their audit,
correspondence, ...), with its `sealed` personal fields opened with the subject's key for the export only.

Streamed: items are read page by page and written as they come to two objects in the exports bucket (JSON with a
versioned schema, and a readable HTML page), with SSE-KMS, through S3 multipart upload in 8 MiB parts (a single
PutObject when smaller), so memory stays bounded by one page plus two part buffers whatever the subject's size.
Objects live 7 days (bucket lifecycle; links are refused after `expires_at`).

JSON schema "privacy-export" version 1.1 (documented in docs/rights.md):

    {"schema": "privacy-export", "schema_version": "1.1", "generated_at": ISO, "request_id": str,
     "subject_id": str, "records": [RECORD, ...], "record_count": int, "information": ART15}
    RECORD = {"kind": str, "id": str, "category": str, "source": str, "created_at": ISO|null,
              "updated_at": ISO|null, "retained_until": ISO|null, "data": {...}, "personal": {...}}
    ART15  = {"controller", "policy", "purposes", "categories", "recipients", "transfers", "retention", "sources",
              "rights", "rights_offered", "channels"}  (built from the store's policy: services/export_information)
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.crypto.envelope import SealError, SubjectCipher
from chalicelib.domain.clock import iso
from chalicelib.domain.retention import Category
from chalicelib.errors import KeyShreddedError
from chalicelib.observability import count, logger
from chalicelib.services.export_information import art15_information
from chalicelib.services.subject_recipients import Held
from chalicelib.storage.subject_data import SubjectRecord

if TYPE_CHECKING:
    from chalicelib.adapters.exports_store import ExportWriter
    from chalicelib.services.ports import RightsPorts

SCHEMA = "privacy-export"
SCHEMA_VERSION = "1.1"

SOURCES = {
    "order": "the store (WooCommerce), from what you entered at checkout",
    "customer": "the store (WooCommerce), from your account",
    "payment": "PayPal, about payments for your orders",
    "bitpay_payment": "BitPay, about cryptocurrency payments for your orders (as its API confirmed them)",
    "dispute": "PayPal, about disputes you opened",
    "consent_event": "your browser, when you chose cookie settings",
    "consent_state": "your browser, when you chose cookie settings",
    "consent_link": "your browser and your account, when you chose cookie settings while logged in",
    "marketing": "you, through your account or checkout",
    "marketing_event": "you, through your account or checkout",
    "request": "you, through a privacy request",
    "request_audit": "our handling of your privacy requests",
    "correspondence": "your e-mails to our privacy mailbox and our replies",
    "export": "our answer to your access request (its files are deleted 7 days after they were made)",
}

@dataclass(frozen=True)
class ExportResult:
    json_key: str
    html_key: str
    expires_at: int
    records: int
    json_bytes: int
    schema_version: str = SCHEMA_VERSION


def export_prefix(subject: str) -> str:
    return f"exports/{subject}/"


def _cipher(ports: RightsPorts, subject: str) -> SubjectCipher | None:
    try:
        return ports.vault.cipher_for_reading(subject)
    except KeyShreddedError:
        return None


def open_personal(cipher: SubjectCipher | None, sealed: dict[str, str]) -> dict[str, Any]:
    opened: dict[str, Any] = {}
    for name, token in sealed.items():
        try:
            opened[name] = cipher.open_json(name, token) if cipher else "[unreadable]"
        except SealError:
            opened[name] = "[unreadable]"
    return opened


def _when(value: Any) -> str | None:
    return iso(int(value)) if isinstance(value, int | float) else None


PROVIDER_SOURCES = {"payment": "{provider}, about payments for your orders",
                    "dispute": "{provider}, about disputes you opened"}


def source_of(record: SubjectRecord) -> str:
    """Where a record comes from; a payment or dispute names its provider in `data.source` (PayPal when absent)."""
    provider = record.data.get("source")
    if isinstance(provider, str) and provider.isprintable() and record.kind in PROVIDER_SOURCES:
        return PROVIDER_SOURCES[record.kind].format(provider=provider[:40])
    return SOURCES.get(record.kind, "our records")


def to_record(record: SubjectRecord, cipher: SubjectCipher | None) -> dict[str, Any]:
    return {
        "kind": record.kind, "id": record.ident, "category": record.category,
        "source": source_of(record), "created_at": _when(record.created_at),
        "updated_at": _when(record.updated_at), "retained_until": _when(record.expires_at),
        "data": record.data, "personal": open_personal(cipher, record.sealed),
    }


# -- rendering -------------------------------------------------------------------------------------------------
def _html_value(value: Any) -> str:
    if isinstance(value, dict):
        rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{_html_value(v)}</td></tr>" for k, v in value.items())
        return f"<table>{rows}</table>" if rows else "—"
    if isinstance(value, list):
        return "<ul>" + "".join(f"<li>{_html_value(v)}</li>" for v in value) + "</ul>" if value else "—"
    return html.escape("—" if value is None else str(value))


def html_record(record: dict[str, Any]) -> str:
    title = html.escape(f"{record['kind']} · {record['id']}")
    meta = {"category": record["category"], "source": record["source"], "created": record["created_at"],
            "retained until": record["retained_until"]}
    return (f"<section><h3>{title}</h3>{_html_value(meta)}<h4>Personal data</h4>{_html_value(record['personal'])}"
            f"<h4>Other details</h4>{_html_value(record['data'])}</section>\n")


INFORMATION_SECTIONS = (
    ("controller", "Who is responsible (the controller)"), ("policy", "The privacy policy this answer follows"),
    ("purposes", "Why we hold your data, and on what legal basis"), ("recipients", "Who received your data"),
    ("transfers", "Transfers outside the EEA and the UK"), ("retention", "How long we keep what we hold"),
    ("sources", "Where your data came from"), ("rights_offered", "Your rights"),
    ("channels", "How to use them"),
)


def html_information(information: dict[str, Any]) -> str:
    """The Art. 15 section as readable HTML: the same content as the JSON's `information`."""
    parts = ["<h2>About this data (GDPR Art. 15)</h2>\n"]
    for key, title in INFORMATION_SECTIONS:
        value = information.get(key)
        if key == "transfers" and not value:
            value = "None: your data stays in the EEA and the UK."
        parts.append(f"<section><h3>{html.escape(title)}</h3>{_html_value(value)}</section>\n")
    return "".join(parts)


HTML_HEAD = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Your data</title>"
             "<style>body{font-family:sans-serif;max-width:60em;margin:auto}th{text-align:left;vertical-align:top;"
             "padding-right:1em}section{border-top:1px solid #ccc;margin-top:1em}</style></head><body>\n")


def export_subject(ports: RightsPorts, *, subject: str, request_id: str, now: int) -> ExportResult:
    """Write the subject's export (JSON + HTML) to the exports bucket; returns where it is."""
    from chalicelib.services.late_links import link_for_subject

    link_for_subject(ports.late_links, ports.subject_data, subject, now=now)  # payments that came before the order
    base = f"{export_prefix(subject)}{request_id}/"
    json_key, html_key = base + "export.json", base + "export.html"
    expires_at = ports.policy.expires_at(Category.EXPORT, now)
    writers = [ports.exports.writer(key, content_type)
               for key, content_type in ((json_key, "application/json"), (html_key, "text/html; charset=utf-8"))]
    out_json, out_html = writers
    try:
        records = _write(ports, subject, request_id, now, out_json, out_html)
        size = out_json.close()
        out_html.close()
    except Exception:
        for writer in writers:
            try:
                writer.abort()
            except Exception:  # the bucket's lifecycle rule aborts leftovers after a day
                logger.warning("export upload not aborted", extra={"request_id": request_id})
        raise
    count("PrivacyExportRecords", records)
    logger.info("export written", extra={"request_id": request_id, "records": records, "bytes": size})
    return ExportResult(json_key, html_key, expires_at, records, size)


def _write(ports: RightsPorts, subject: str, request_id: str, now: int, out_json: ExportWriter,
           out_html: ExportWriter) -> int:
    cipher = _cipher(ports, subject)
    header = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "generated_at": iso(now),
              "request_id": request_id, "subject_id": subject}
    out_json.write(json.dumps(header, ensure_ascii=False)[:-1] + ',"records":[')
    out_html.write(HTML_HEAD + f"<h1>Your data</h1><p>Export {html.escape(request_id)}, generated "
                   f"{iso(now)}. A machine-readable copy (JSON, schema {SCHEMA} {SCHEMA_VERSION}) comes with "
                   "this page.</p>\n<h2>Records</h2>\n")
    held = Held()
    records = 0
    for stored in ports.subject_data.records(subject, now=now):
        record = to_record(stored, cipher)
        if record["kind"] == "export" and record["id"] == f"EXPORT#{request_id}":
            continue  # this export's own index, left by an attempt the time limit cut: not a record of the subject
        out_json.write(("," if records else "") + json.dumps(record, ensure_ascii=False, default=str))
        out_html.write(html_record(record))
        held.add(record["kind"], record["category"], record["data"])
        records += 1
    information = art15_information(ports.store_policy, ports.policy, held, SOURCES)
    out_json.write(f'],"record_count":{records},"information":' + json.dumps(information, ensure_ascii=False) + "}")
    out_html.write(html_information(information) + "</body></html>\n")
    return records


def delete_exports(ports: RightsPorts, subject: str) -> int:
    """Delete every export object of the subject; returns how many."""
    return ports.exports.delete_prefix(export_prefix(subject))
