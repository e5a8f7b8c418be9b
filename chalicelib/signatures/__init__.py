"""Verification of incoming deliveries: WooCommerce HMAC signatures, PayPal certificates and postback."""
