"""Late links: payment records (PayPal, Airwallex, BitPay) that arrived before their WooCommerce order are linked
to the order's subject by the scheduled job, once the order is known.

Not in the order's request: that would cost every order delivery a second round trip (a Query) for the rare
payment that came first, and the order delivery must never fail because of it (WooCommerce does not retry and
disables a webhook after five failures).  The job's step is idempotent and bounded; what it cannot reach in one run
(budget, cap, a failure) stays awaiting for the next.

An export or an erasure does not wait for the job: `link_for_subject` first links what awaits the subject's orders
(one prefix Query for the order ids, one Query per order), so a payment that came before its order is in the export
and reached by the erasure even when the order arrived a minute ago.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.storage.late_links import LateLinks, LinkOutcome, awaited_order
from chalicelib.storage.orders import ORDER, StorefrontRecords
from chalicelib.storage.subject_data import SubjectDataRepository

RETRY_PAGE = 100
RETRY_CAP = 1000  # awaiting items examined per scheduled run


def retry_awaiting(links: LateLinks, records: StorefrontRecords, *, now: int,
                   out_of_time: Callable[[], bool] = lambda: False, cap: int = RETRY_CAP) -> dict[str, int]:
    """The scheduled retry: every awaiting item whose order is now known is linked (or, when the order has no
    subject, kept unlinked without its identifiers); items whose order is still unknown stay awaiting."""
    done: dict[str, int] = {}
    cursor = None
    seen = 0
    orders: dict[int, str | None] = {}
    while seen < cap and not out_of_time():
        items, cursor = links.pending(now=now, limit=min(RETRY_PAGE, cap - seen), cursor=cursor)
        for item in items:
            seen += 1
            order_id = awaited_order(item)
            if order_id not in orders:
                stored = records.get(ORDER, order_id, now=now)
                orders[order_id] = None if stored is None else (stored.subject or "")
            subject = orders[order_id]
            if subject is None:
                outcome = "awaiting"
            elif subject:
                outcome = links.link(item, subject, now=now).value
            else:
                outcome = links.drop(item, now=now).value
            done[outcome] = done.get(outcome, 0) + 1
        if cursor is None:
            break
    return done


def link_for_subject(links: LateLinks, data: SubjectDataRepository, subject: str, *, now: int) -> int:
    """Link everything that awaits one of the subject's orders to the subject; returns how many were linked."""
    linked = 0
    for order_id in data.order_ids(subject, now=now):
        for item in links.awaiting(order_id, now=now):
            if links.link(item, subject, now=now) is LinkOutcome.LINKED:
                linked += 1
    return linked
