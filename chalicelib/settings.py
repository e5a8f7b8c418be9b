"""The one place that reads the environment.

`get_settings()` validates every setting once per process (cold start) and fails with a message that names the
setting.  Secrets are not fields of this model: they are resolved through `chalicelib.secrets`, from the environment
in the `local` stage and from SSM Parameter Store in deployed stages.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chalicelib.domain.retention import RetentionOverride

PAYPAL_API_BASES = frozenset({"https://api-m.paypal.com", "https://api-m.sandbox.paypal.com"})
PAYPAL_WEBHOOK_ID = r"[A-Z0-9]{8,64}"  # what PayPal shows, e.g. 3RN13029J36659323 (placeholders do not match)


class ConfigurationError(RuntimeError):
    """A setting is missing or invalid; the message names it."""


def _csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseModel):
    """Every environment variable the backend reads (names are the env var names)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: Literal["local", "dev", "prod", "test"] = Field(alias="STAGE")
    app_version: str = Field(default="0.1.0", alias="APP_VERSION")
    aws_region: str = Field(default="eu-west-1", alias="AWS_DEFAULT_REGION")

    # Resources (names come from infra/; the local stage gets them from the emulator provisioning).
    table_name: str = Field(alias="TABLE_NAME", min_length=3)
    keys_table_name: str = Field(alias="KEYS_TABLE_NAME", min_length=3)
    exports_bucket: str = Field(alias="EXPORTS_BUCKET", min_length=3)
    inbound_bucket: str = Field(alias="INBOUND_BUCKET", min_length=3)
    inbound_prefix: str = Field(default="inbound/", alias="INBOUND_PREFIX")
    kms_key_id: str = Field(alias="KMS_KEY_ID", min_length=1)
    inbound_topic_arn: str = Field(default="", alias="INBOUND_TOPIC_ARN")
    intake_queue_url: str = Field(alias="INTAKE_QUEUE_URL", pattern=r"^https?://")

    # Secrets: where they come from.
    secrets_source: Literal["env", "ssm"] = Field(default="env", alias="SECRETS_SOURCE")
    ssm_prefix: str = Field(default="/privacy-backend", alias="SSM_PREFIX")

    # Mail.
    sender_email: str = Field(alias="SENDER_EMAIL", pattern=r"^[^@\s]+@[^@\s]+$")
    privacy_mailbox: str = Field(alias="PRIVACY_MAILBOX", pattern=r"^[^@\s]+@[^@\s]+$")
    operator_email: str = Field(alias="OPERATOR_EMAIL", pattern=r"^[^@\s]+@[^@\s]+$")
    public_base_url: str = Field(alias="PUBLIC_BASE_URL", pattern=r"^https?://")
    site_domain: str = Field(default="site.invalid", alias="SITE_DOMAIN")
    mail_max_per_sender_per_day: int = Field(default=5, ge=1, le=1000, alias="MAIL_MAX_PER_SENDER_PER_DAY")

    # Webhooks.
    paypal_webhook_id: str = Field(default="", alias="PAYPAL_WEBHOOK_ID")
    paypal_verify_mode: Literal["certificate", "postback"] = Field(
        default="certificate", alias="PAYPAL_VERIFY_MODE"
    )
    paypal_api_base: str = Field(default="https://api-m.paypal.com", alias="PAYPAL_API_BASE")
    paypal_client_id: str = Field(default="", alias="PAYPAL_CLIENT_ID")
    # -- BitPay (begin) --
    bitpay_api_base: str = Field(default="https://bitpay.com", alias="BITPAY_API_BASE", pattern=r"^https?://[^/?#]+")
    bitpay_api_timeout_seconds: float = Field(default=5.0, gt=0, le=20, alias="BITPAY_API_TIMEOUT_SECONDS")
    # -- BitPay (end) --
    # The store's WooCommerce REST API (corrections relayed to the store); "" = not configured (operator task).
    woocommerce_api_base: str = Field(default="", alias="WOOCOMMERCE_API_BASE", pattern=r"^(https?://[^?#]+)?$")
    woocommerce_api_timeout_seconds: float = Field(default=5.0, gt=0, le=20, alias="WOOCOMMERCE_API_TIMEOUT_SECONDS")

    # Processor connectors (erasure reaching the processors: chalicelib/adapters/processors/).  Base URLs are fixed by
    # configuration, never taken from a request; tests point them at fake servers on 127.0.0.1.
    connector_timeout_seconds: float = Field(default=5.0, gt=0, le=20, alias="CONNECTOR_TIMEOUT_SECONDS")
    ga4_api_base: str = Field(default="https://www.googleapis.com", alias="GA4_API_BASE", pattern=r"^https?://[^/?#]+$")
    ga4_property_id: str = Field(default="", alias="GA4_PROPERTY_ID", pattern=r"^[0-9]{0,20}$")
    botpress_api_base: str = Field(default="https://api.botpress.cloud", alias="BOTPRESS_API_BASE",
                                   pattern=r"^https?://[^/?#]+$")
    botpress_bot_id: str = Field(default="", alias="BOTPRESS_BOT_ID", pattern=r"^[A-Za-z0-9_-]{0,100}$")
    botpress_user_tag: str = Field(default="email", alias="BOTPRESS_USER_TAG", pattern=r"^[A-Za-z0-9_:.-]{1,100}$")

    # Account authentication (JWT minted by the storefront).
    account_jwt_issuer: str = Field(alias="ACCOUNT_JWT_ISSUER", min_length=1)
    account_jwt_audience: str = Field(default="privacy-backend", alias="ACCOUNT_JWT_AUDIENCE")
    account_jwt_algorithm: Literal["HS256", "RS256"] = Field(default="HS256", alias="ACCOUNT_JWT_ALGORITHM")
    account_jwt_max_lifetime_seconds: int = Field(
        default=3600, ge=60, le=86400, alias="ACCOUNT_JWT_MAX_LIFETIME_SECONDS"
    )

    # The store's policy file (chalicelib.policy): every promise the backend keeps for the store.  ASCII classes, not
    # \w: pydantic compiles patterns with Rust's regex, whose Unicode \w cost 60 ms of cold start (python -m bench
    # coldstart: 2.19x import boto3 with \w, 1.33x without).
    store_policy: str = Field(alias="STORE_POLICY", pattern=r"^[A-Za-z0-9_./-]{1,200}\.toml$")

    # Consent.
    allowed_origins: list[str] = Field(default_factory=list, alias="ALLOWED_ORIGINS")
    consent_validity_days: int = Field(default=365, ge=1, le=3650, alias="CONSENT_VALIDITY_DAYS")

    # Marketing senders: the mailing tool's API (requests per minute per key) and the order meta key of the checkout's
    # marketing opt-in (Mailchimp for WooCommerce writes `mailchimp_woocommerce_is_subscribed`).
    marketing_api_rate_per_minute: int = Field(default=600, ge=1, le=100_000, alias="MARKETING_API_RATE_PER_MINUTE")
    checkout_marketing_meta_key: str = Field(default="mailchimp_woocommerce_is_subscribed",
                                             alias="CHECKOUT_MARKETING_META_KEY", pattern=r"^[A-Za-z0-9_.:-]{1,100}$")

    # Data subject rights.
    deletion_grace_days: int = Field(default=7, ge=0, le=30, alias="DELETION_GRACE_DAYS")

    # Retention: per-stage overrides of the declarative policy, as JSON {"category": {"days": N, ...}}.
    retention_overrides: dict[str, RetentionOverride] = Field(
        default_factory=dict, alias="RETENTION_OVERRIDES"
    )
    retention_batch_size: int = Field(default=100, ge=1, le=1000, alias="RETENTION_BATCH_SIZE")
    retention_brake_max_count: int = Field(default=5000, ge=1, alias="RETENTION_BRAKE_MAX_COUNT")
    retention_brake_max_share: float = Field(default=0.25, gt=0, le=1, alias="RETENTION_BRAKE_MAX_SHARE")
    retention_dry_run: bool = Field(default=False, alias="RETENTION_DRY_RUN")

    @model_validator(mode="after")
    def _deployed_stages(self) -> Settings:
        """A deployed stage serves real people: links only over https, and PayPal verified against a real id."""
        if self.stage in ("dev", "prod"):
            if not self.public_base_url.startswith("https://"):
                raise ValueError("PUBLIC_BASE_URL: a deployed stage needs an https:// URL")
            if not re.fullmatch(PAYPAL_WEBHOOK_ID, self.paypal_webhook_id):
                raise ValueError("PAYPAL_WEBHOOK_ID: missing or a placeholder (set the webhook id PayPal shows)")
            if self.paypal_api_base.rstrip("/") not in PAYPAL_API_BASES:  # the postback mode sends the client
                raise ValueError("PAYPAL_API_BASE: a deployed stage talks to PayPal's own API over https "  # secret
                                 f"({' or '.join(sorted(PAYPAL_API_BASES))})")
            # -- BitPay (begin) --
            if not self.bitpay_api_base.startswith("https://"):
                raise ValueError("BITPAY_API_BASE: a deployed stage needs an https:// URL")
            # -- BitPay (end) --
            for name, base in (("GA4_API_BASE", self.ga4_api_base), ("BOTPRESS_API_BASE", self.botpress_api_base)):
                if not base.startswith("https://"):
                    raise ValueError(f"{name}: a deployed stage needs an https:// URL")
            if self.woocommerce_api_base and not self.woocommerce_api_base.startswith("https://"):
                raise ValueError("WOOCOMMERCE_API_BASE: a deployed stage needs an https:// URL")
        return self

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        return _csv(value)

    @field_validator("retention_overrides", mode="before")
    @classmethod
    def _parse_overrides(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value


def describe_error(error: ValidationError) -> str:
    """A message naming each bad setting by its environment variable (values are never echoed)."""
    problems = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"])
        problems.append(f"{name}: {item['msg']}" if name else str(item["msg"]).removeprefix("Value error, "))
    return "invalid configuration: " + "; ".join(problems)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (the process environment by default)."""
    source = dict(os.environ if environ is None else environ)
    try:
        settings = Settings.model_validate(source)
    except ValidationError as error:
        raise ConfigurationError(describe_error(error)) from None
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def read_environment_secret(name: str) -> str | None:
    """Secrets in the `env` source: the only other place the environment is read (through this module)."""
    return os.environ.get(name)


def emulator_endpoint() -> str | None:
    """The AWS endpoint override (moto server locally), as boto3 itself would read it."""
    return os.environ.get("AWS_ENDPOINT_URL")


if __name__ == "__main__":  # `python -m chalicelib.settings` checks the environment, e.g. before serving.
    try:
        print(f"configuration ok for stage {get_settings().stage}")
    except ConfigurationError as exc:
        raise SystemExit(str(exc)) from None
