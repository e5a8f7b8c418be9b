"""Storefront webhooks: signature verification (WooCommerce HMAC, PayPal certificate and postback modes), the
PayPal certificate store with its SSRF guard, the HTTP port, revisions and per-subject sealing of deliveries."""
