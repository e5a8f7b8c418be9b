"""Use case: export everything held about a subject (GDPR Art. 15 and 20, CCPA right to know).

Generic over the subject_index: every item following the subject-item convention appears (orders, payments,
disputes, customer profile, consent ledger, marketing preference, privacy requests and their audit,
correspondence, ...), with its `sealed` personal fields opened with the subject's key for the export only.

Streamed: items are read page by page and written as they come to two objects in the exports bucket (JSON with a
versioned schema, and a readable HTML page), with SSE-KMS, through S3 multipart upload in 8 MiB parts (a single
PutObject when smaller), so memory stays bounded by one page plus two part buffers whatever the subject's size.
Objects live 7 days (bucket lifecycle; links are refused after `expires_at`).

JSON schema "privacy-export" version 1 (documented in docs/rights.md):

    {"schema": "privacy-export", "schema_version": "1.0", "generated_at": ISO, "request_id": str,
     "subject_id": str, "records": [RECORD, ...], "record_count": int, "information": ART15}
    RECORD = {"kind": str, "id": str, "category": str, "source": str, "created_at": ISO|null,
              "updated_at": ISO|null, "retained_until": ISO|null, "data": {...}, "personal": {...}}
    ART15  = {"controller", "purposes", "categories", "recipients", "retention", "sources", "rights"}
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.crypto.envelope import SealError, SubjectCipher
from chalicelib.domain.clock import iso
from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.errors import KeyShreddedError
from chalicelib.observability import count, logger
from chalicelib.storage.subject_data import SubjectRecord

if TYPE_CHECKING:
    from chalicelib.adapters.exports_store import ExportWriter
    from chalicelib.services.ports import RightsPorts

SCHEMA = "privacy-export"
SCHEMA_VERSION = "1.0"

CONTROLLER = {"name": "JETCLOUDSOLUTIONS OÜ (JETCARDS)",
              "address": "Männimäe/1, Pudisoo küla, Kuusalu vald, Harju maakond, 74626, Estonia",
              "contact": "privacy@ mailbox of the store"}

SOURCES = {
    "order": "the store (WooCommerce), from what you entered at checkout",
    "customer": "the store (WooCommerce), from your account",
    "payment": "PayPal, about payments for your orders",
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

RECIPIENTS: list[dict[str, str]] = [
    {"name": "WooCommerce (the store platform)", "role": "processor", "purpose": "orders, accounts, checkout",
     "when": "always"},
    {"name": "PayPal", "role": "payment provider (independent controller)", "purpose": "payments, refunds, disputes",
     "when": "when you paid with PayPal"},
    {"name": "Airwallex, BitPay", "role": "payment providers", "purpose": "payments",
     "when": "when you chose them at checkout"},
    {"name": "Amazon Web Services", "role": "processor (hosting)", "purpose": "storage of the records listed here",
     "when": "always"},
    {"name": "Botpress", "role": "processor", "purpose": "chat and customer support", "when": "when you used the chat"},
]
ANALYTICS_TOOLS = ["Google Analytics", "Yandex Metrica"]
ADVERTISING_TOOLS = ["Google Tag Manager", "Meta Pixel", "TikTok Pixel"]

PURPOSES = [
    "to supply products and services you requested and to fulfil our contract with you (orders, payments)",
    "to comply with legal and regulatory obligations (accounting records, proof of consent, privacy requests)",
    "to answer your enquiries and privacy requests",
    "to send marketing only where you agreed to it",
    "to understand site usage and measure advertising, only with your consent",
    "to keep the sites secure and prevent fraud",
]

RIGHTS = ["access", "rectification", "erasure", "portability", "restriction", "objection",
          "know (CCPA)", "delete (CCPA)", "opt-out (CCPA)", "non-discrimination (CCPA)",
          "complain to a supervisory authority"]


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


def to_record(record: SubjectRecord, cipher: SubjectCipher | None) -> dict[str, Any]:
    return {
        "kind": record.kind, "id": record.ident, "category": record.category,
        "source": SOURCES.get(record.kind, "our records"), "created_at": _when(record.created_at),
        "updated_at": _when(record.updated_at), "retained_until": _when(record.expires_at),
        "data": record.data, "personal": open_personal(cipher, record.sealed),
    }


class Seen:
    """What the export met on its way (for the Art. 15 section): categories and consented tool families."""

    def __init__(self) -> None:
        self.categories: dict[str, int] = {}
        self.kinds: dict[str, int] = {}
        self.analytics = False
        self.advertising = False

    def add(self, record: dict[str, Any]) -> None:
        category = str(record.get("category") or "unknown")
        self.categories[category] = self.categories.get(category, 0) + 1
        self.kinds[record["kind"]] = self.kinds.get(record["kind"], 0) + 1
        analytics, advertising = consented_tools(record["kind"], record["data"])
        self.analytics |= analytics
        self.advertising |= advertising


def consented_tools(kind: str, data: dict[str, Any]) -> tuple[bool, bool]:
    """(analytics, advertising) consented in a consent record."""
    if not kind.startswith("consent"):
        return False, False
    effective = data.get("effective") or {}
    return bool(effective.get("analytics")), bool(effective.get("marketing"))


def art15_information(policy: RetentionPolicy, seen: Seen) -> dict[str, Any]:
    recipients = list(RECIPIENTS)
    if seen.analytics:
        recipients.append({"name": ", ".join(ANALYTICS_TOOLS), "role": "analytics tools",
                           "purpose": "site usage statistics", "when": "you consented to analytics cookies"})
    if seen.advertising:
        recipients.append({"name": ", ".join(ADVERTISING_TOOLS), "role": "advertising tools",
                           "purpose": "campaign measurement and remarketing",
                           "when": "you consented to marketing cookies"})
    retention = []
    for name in sorted(seen.categories):
        try:
            rule = policy.rule(name)
        except ValueError:
            continue
        retention.append({"category": name, "records": seen.categories[name], "days": rule.days,
                          "then": rule.action, "legal_basis": rule.legal_basis, "purpose": rule.purpose})
    return {
        "controller": CONTROLLER, "purposes": PURPOSES,
        "categories": sorted(seen.kinds), "recipients": recipients, "retention": retention,
        "sources": {kind: SOURCES.get(kind, "our records") for kind in sorted(seen.kinds)},
        "rights": RIGHTS,
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


HTML_HEAD = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Your data</title>"
             "<style>body{font-family:sans-serif;max-width:60em;margin:auto}th{text-align:left;vertical-align:top;"
             "padding-right:1em}section{border-top:1px solid #ccc;margin-top:1em}</style></head><body>\n")


def export_subject(ports: RightsPorts, *, subject: str, request_id: str, now: int) -> ExportResult:
    """Write the subject's export (JSON + HTML) to the exports bucket; returns where it is."""
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
    seen = Seen()
    records = 0
    for stored in ports.subject_data.records(subject, now=now):
        record = to_record(stored, cipher)
        out_json.write(("," if records else "") + json.dumps(record, ensure_ascii=False, default=str))
        out_html.write(html_record(record))
        seen.add(record)
        records += 1
    information = art15_information(ports.policy, seen)
    out_json.write(f'],"record_count":{records},"information":' + json.dumps(information, ensure_ascii=False) + "}")
    out_html.write("<h2>About this data (GDPR Art. 15)</h2>" + _html_value(information) + "</body></html>\n")
    return records


def delete_exports(ports: RightsPorts, subject: str) -> int:
    """Delete every export object of the subject; returns how many."""
    return ports.exports.delete_prefix(export_prefix(subject))
