"""The logged-in customer behind a request: who the verified account token says they are."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    customer_id: str  # the token's `sub`: the WooCommerce customer; privacy requests belong to it
    email: str  # the token's `email`, one well-formed address
    subject: str  # the data subject: keyed hash of that address
