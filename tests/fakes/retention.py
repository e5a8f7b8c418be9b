"""Items due for retention, written raw (the shapes the services write)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.retention import Category
from tests.conftest import NOW

SUBJECT = "a" * 64


def seed(container: Any, category: Category | str, n: int = 1, *, start: int = NOW, prefix: str = "ITEM",
         **extra: Any) -> list[tuple[str, str]]:
    """Items following the subject-item convention, whose retention starts at `start`."""
    from chalicelib.storage.subject_items import retention_attributes, subject_link

    keys = []
    for i in range(n):
        pk, sk = f"{prefix}#{Category(category).value}#{i:05d}", "DATA"
        item = {"pk": pk, "sk": sk, **subject_link(SUBJECT, "order", f"{i}"),
                "data": {"total": "10.00", "customer_id": "57", "paypal_order_id": "5O190127TN364715T"},
                "sealed": {"billing": "v1.sealed"}, "created_at": start, "updated_at": start,
                **retention_attributes(container.policy, category, start, pk, sk), **extra}
        container.table.put(item)
        keys.append((pk, sk))
    return keys


def raw_item(table_items: Any, pk: str) -> dict[str, Any] | None:
    return next((item for item in table_items() if item["pk"] == pk), None)

