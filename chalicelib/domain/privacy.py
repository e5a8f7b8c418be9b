"""Pure privacy helpers shared by every feature: IP truncation and WooCommerce-style anonymisation."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

DELETED_TEXT = "[deleted]"
DELETED_EMAIL = "deleted@site.invalid"


def truncate_ip(value: str | None, *, v4_prefix: int = 24, v6_prefix: int = 64) -> str | None:
    """The network part of an IP address only (WordPress' wp_privacy_anonymize_ip keeps /24 and /64).
    Anything that is not an IP address gives None: it is not stored."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip().split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = v4_prefix if address.version == 4 else v6_prefix
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


IP_FIELDS = frozenset({"ip", "ip_address", "customer_ip_address", "customer_ip"})


def anonymise_value(field: str, value: Any, *, keep_ip: bool = True) -> Any:
    """The placeholder WooCommerce's eraser writes for a personal field (by the field's name).  An IP address is
    kept truncated, as WordPress does, unless `keep_ip=False` (a store that promises to keep no IP: none at all)."""
    if value is None or value == "":
        return value
    name = field.lower()
    if isinstance(value, dict):
        return {k: anonymise_value(k, v, keep_ip=keep_ip) for k, v in value.items()}
    if isinstance(value, list):
        return [anonymise_value(field, v, keep_ip=keep_ip) for v in value]
    if "email" in name:
        return DELETED_EMAIL
    if "phone" in name:
        return re.sub(r"\d", "0", str(value))
    if name in IP_FIELDS:
        return (truncate_ip(str(value)) or "") if keep_ip else ""
    if name in ("country", "state"):
        return value  # WooCommerce keeps country/state (tax evidence)
    return DELETED_TEXT


# Identifiers that link a record to a person; cleared when a record is anonymised.
LINKING_FIELDS = frozenset({
    "customer_id", "transaction_id", "payer_id", "visitor_id", "visitor_ids", "buyer_transaction_id",
    "paypal_order_id", "account_id", "username", "order_key", "dispute_id", "capture_id", "payer_email",
})
LINKING_FIELDS |= {"payment_intent_id", "refund_id"}  # Airwallex


def anonymise_data(data: dict[str, Any]) -> dict[str, Any]:
    """Non-personal data of a record with the linking identifiers removed."""
    return {k: v for k, v in data.items() if k not in LINKING_FIELDS}
