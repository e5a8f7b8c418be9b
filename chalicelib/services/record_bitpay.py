"""Record a BitPay IPN: the invoice as BitPay's API confirms it, once per invoice id + status, newest status kept.

- The IPN only names the invoice; the invoice is fetched (`InvoiceSource.fetch`: 422 when BitPay does not confirm
  it, 503 when BitPay cannot be asked now) and only the API's answer is used.
- Order link: `orderId` (the WooCommerce order id the BitPay plugin sets), else `posData` when it is an order id.
- Subject: the buyer's e-mail where the invoice carries one, else the linked order's subject.  Without a subject the
  buyer's fields cannot be sealed and are dropped (the invoice is still recorded).
- `buyerFields` / `buyer` (name, e-mail, address, phone, country) are sealed per subject; an erased subject's
  invoice is stored without them and without the link.
- Status order: see `payloads.bitpay.STATUS_RANK`; an unknown status is refused (422, nothing stored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.retention import Category
from chalicelib.errors import DomainError
from chalicelib.observability import count, logger, metric_name
from chalicelib.payloads.bitpay import STATUS_RANK, Invoice, Ipn
from chalicelib.services.webhook_ports import WebhookPorts
from chalicelib.services.webhook_sealing import record_sealed
from chalicelib.storage.bitpay_invoices import BitpayInvoiceStore, BitpayRecord
from chalicelib.storage.orders import ORDER

_ORDER_ID = re.compile(r"^\d{1,18}$")


class UnknownInvoiceStatus(DomainError):
    status = 422
    code = "unknown_invoice_status"


class InvoiceSource(Protocol):
    def fetch(self, invoice_id: str) -> Invoice: ...


@dataclass
class BitpayPorts:
    webhook: WebhookPorts
    invoices: BitpayInvoiceStore
    api: InvoiceSource


def revision(status: str) -> str:
    rank = STATUS_RANK.get(status)
    if rank is None:
        raise UnknownInvoiceStatus("invoice status is not one this service records", field="status")
    return f"{rank:02d}.{status}"


def order_link(invoice: Invoice) -> int | None:
    for candidate in (invoice.orderId, invoice.posData):
        text = str(candidate).strip() if candidate is not None else ""
        if _ORDER_ID.match(text):
            return int(text)
    return None


def minimised(invoice: Invoice, order_id: int | None) -> dict[str, Any]:
    data = {"invoice_id": invoice.id, "status": invoice.status, "price": invoice.price, "currency": invoice.currency,
            "invoice_time": invoice.invoiceTime, "exception_status": invoice.exceptionStatus,
            "transaction_currency": invoice.transactionCurrency,
            "amount_paid": str(invoice.amountPaid) if invoice.amountPaid is not None else None, "order_id": order_id,
            "source": "BitPay"}
    return {k: v for k, v in data.items() if v is not None and v != ""}


def _start(invoice: Invoice, now: int) -> int:
    millis = invoice.invoiceTime
    return millis // 1000 if isinstance(millis, int) and 0 < millis < 10**14 else now


def record_ipn(ipn: Ipn, ports: BitpayPorts) -> str:
    """'accepted' | 'duplicate' | 'stale' (the invoice now has a newer status than the one confirmed)."""
    invoice = ports.api.fetch(ipn.invoice.id)
    rev = revision(invoice.status)
    web = ports.webhook
    now = web.now()
    order_id = order_link(invoice)
    personal = invoice.personal()
    subject = web.subject_of_email(personal.get("email"))
    if subject is None and order_id is not None:
        stored = web.records.get(ORDER, order_id, now=now)
        subject = stored.subject if stored else None
    record = BitpayRecord(invoice.id, rev, Category.PAYMENT, _start(invoice, now), minimised(invoice, order_id))

    outcome, erased = record_sealed(web, lambda stored: ports.invoices.record(stored, now=now), record,
                                    {"buyer": personal}, subject, now=now)
    count(metric_name("bitpay", "payment", outcome.value))
    logger.info("bitpay invoice", extra={"status": invoice.status, "ipn_event": ipn.event.name if ipn.event else "",
                                         "outcome": outcome.value, "linked_order": order_id is not None,
                                         "linked_subject": subject is not None and not erased})
    return outcome.value
