"""Secrets: from the environment in the `local` stage (and tests), from SSM Parameter Store (SecureString,
decrypted, cached five minutes through Powertools `parameters`) in deployed stages."""

from __future__ import annotations

from enum import StrEnum

from chalicelib.settings import ConfigurationError, get_settings, read_environment_secret

CACHE_SECONDS = 300


class Secret(StrEnum):
    WOOCOMMERCE_WEBHOOK_SECRET = "WOOCOMMERCE_WEBHOOK_SECRET"
    ACCOUNT_JWT_SECRET = "ACCOUNT_JWT_SECRET"
    ACCOUNT_JWT_PUBLIC_KEY = "ACCOUNT_JWT_PUBLIC_KEY"
    SUBJECT_PEPPER = "SUBJECT_PEPPER"
    PAYPAL_CLIENT_SECRET = "PAYPAL_CLIENT_SECRET"
    VERIFICATION_TOKEN_KEY = "VERIFICATION_TOKEN_KEY"
    # -- BitPay (begin) --
    BITPAY_API_TOKEN = "BITPAY_API_TOKEN"  # the merchant facade token the invoice is fetched with
    BITPAY_WEBHOOK_TOKEN = "BITPAY_WEBHOOK_TOKEN"  # optional: when set, IPNs must carry a valid x-signature
    # -- BitPay (end) --
    AIRWALLEX_WEBHOOK_SECRET = "AIRWALLEX_WEBHOOK_SECRET"  # Airwallex
    # Processor connectors (optional: a connector without its secret reports `failed: not configured`).
    GA4_SERVICE_ACCOUNT = "GA4_SERVICE_ACCOUNT"  # the service account's JSON key (its token_uri included)
    BOTPRESS_TOKEN = "BOTPRESS_TOKEN"  # a personal access token or bot token of the store's Botpress workspace
    # The store's WooCommerce REST API keys (optional: without them a correction is relayed by an operator).
    WOOCOMMERCE_CONSUMER_KEY = "WOOCOMMERCE_CONSUMER_KEY"
    WOOCOMMERCE_CONSUMER_SECRET = "WOOCOMMERCE_CONSUMER_SECRET"
    # Marketing senders (optional: without them the mailing tool's routes answer 401 and no list is kept).
    MARKETING_API_KEY_SHA256 = "MARKETING_API_KEY_SHA256"  # hex sha256 of the mailing tool's key(s), comma-separated
    MARKETING_LIST_KEY = "MARKETING_LIST_KEY"  # the suppression list's HMAC key, shared with the store


# Secrets without which the service cannot start.
REQUIRED = (Secret.WOOCOMMERCE_WEBHOOK_SECRET, Secret.ACCOUNT_JWT_SECRET, Secret.SUBJECT_PEPPER)
MIN_LENGTH = 16


def get_secret(name: Secret, *, required: bool = True) -> str:
    settings = get_settings()
    value: str | None
    if settings.secrets_source == "ssm":
        from aws_lambda_powertools.utilities import parameters

        try:
            value = parameters.get_parameter(f"{settings.ssm_prefix}/{name.value}", decrypt=True,
                                             max_age=CACHE_SECONDS)
        except parameters.exceptions.GetParameterError:
            value = None
    else:
        value = read_environment_secret(name.value)
    if not value:
        if required:
            raise ConfigurationError(f"invalid configuration: {name.value}: missing secret")
        return ""
    return str(value)


def check_required_secrets() -> None:
    """Fail at start, naming the secret, when one is missing or too short to be a real secret."""
    for name in REQUIRED:
        value = get_secret(name)
        if len(value) < MIN_LENGTH:
            raise ConfigurationError(f"invalid configuration: {name.value}: shorter than {MIN_LENGTH} characters")
