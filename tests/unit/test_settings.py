"""Configuration: one model, validated at start, errors name the setting."""

import json

import pytest

from chalicelib.policy import check_configuration
from chalicelib.settings import ConfigurationError, load_settings
from tests.conftest import stage_env


def test_local_stage_environment_is_valid() -> None:
    settings = load_settings(stage_env("local"))
    assert settings.stage == "local"
    assert settings.table_name == "privacy-backend-local"
    assert "https://store.example" in settings.allowed_origins


@pytest.mark.parametrize("missing", ["TABLE_NAME", "KMS_KEY_ID", "STORE_POLICY", "ACCOUNT_JWT_ISSUER"])
def test_missing_setting_is_named(missing: str) -> None:
    env = stage_env("local")
    del env[missing]
    with pytest.raises(ConfigurationError, match=missing):
        load_settings(env)


def test_invalid_setting_is_named_without_echoing_the_value() -> None:
    env = stage_env("local") | {"DELETION_GRACE_DAYS": "ninety"}
    with pytest.raises(ConfigurationError, match="DELETION_GRACE_DAYS") as caught:
        load_settings(env)
    assert "ninety" not in str(caught.value)


def test_retention_override_is_validated_at_start() -> None:
    env = stage_env("local") | {"RETENTION_OVERRIDES": json.dumps({"analytics": {"days": 400}})}
    with pytest.raises(ConfigurationError, match="RETENTION_OVERRIDES: analytics"):
        check_configuration(load_settings(env))


def test_retention_override_of_unknown_category_is_refused() -> None:
    env = stage_env("local") | {"RETENTION_OVERRIDES": json.dumps({"cookies": {"days": 4}})}
    with pytest.raises(ConfigurationError, match="unknown data category"):
        check_configuration(load_settings(env))


def test_deployed_stages_read_secrets_from_ssm() -> None:
    for stage in ("dev", "prod"):
        env = stage_env(stage)
        assert env["SECRETS_SOURCE"] == "ssm"
        for secret in ("WOOCOMMERCE_WEBHOOK_SECRET", "ACCOUNT_JWT_SECRET", "SUBJECT_PEPPER"):
            assert secret not in env, f"{stage} must not carry {secret} in config.json"


def test_secrets_come_from_ssm_in_deployed_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import mock_aws

    from chalicelib.secrets import Secret, check_required_secrets, get_secret
    from tests.conftest import reset_caches

    env = stage_env("local") | {"SECRETS_SOURCE": "ssm", "SSM_PREFIX": "/pb/test"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for secret in ("WOOCOMMERCE_WEBHOOK_SECRET", "ACCOUNT_JWT_SECRET", "SUBJECT_PEPPER"):
        monkeypatch.delenv(secret)
    reset_caches()
    with mock_aws():
        import boto3

        ssm = boto3.client("ssm", region_name="eu-west-1")
        ssm.put_parameter(Name="/pb/test/SUBJECT_PEPPER", Value="pepper-from-ssm-0123456789", Type="SecureString")
        assert get_secret(Secret.SUBJECT_PEPPER) == "pepper-from-ssm-0123456789"
        with pytest.raises(ConfigurationError, match="WOOCOMMERCE_WEBHOOK_SECRET"):
            check_required_secrets()
    reset_caches()


@pytest.mark.parametrize("stage", ["dev", "prod"])
@pytest.mark.parametrize(("name", "value"), [("PUBLIC_BASE_URL", "http://privacy-api.store.example"),
                                             ("PAYPAL_WEBHOOK_ID", "REPLACE-WITH-LIVE-WEBHOOK-ID"),
                                             ("PAYPAL_WEBHOOK_ID", ""),
                                             ("PAYPAL_API_BASE", "http://api-m.paypal.com"),
                                             ("PAYPAL_API_BASE", "https://api-m.paypal.com.evil.example"),
                                             ("PAYPAL_API_BASE", "http://127.0.0.1:9000")])
def test_a_deployed_stage_refuses_http_links_and_a_placeholder_paypal_id(stage: str, name: str, value: str) -> None:
    """... and a PayPal API base that is not PayPal's over https (the postback mode sends it the client secret)."""
    env = stage_env("local") | stage_env(stage) | {"PAYPAL_WEBHOOK_ID": "3RN13029J36659323", name: value}
    with pytest.raises(ConfigurationError, match=name):
        load_settings(env)
    assert load_settings(env | {"PUBLIC_BASE_URL": "https://privacy-api.store.example",
                                "PAYPAL_WEBHOOK_ID": "3RN13029J36659323",
                                "PAYPAL_API_BASE": "https://api-m.paypal.com/"}).stage == stage


def test_the_local_stage_may_use_http() -> None:
    assert load_settings(stage_env("local")).public_base_url.startswith("http://127.0.0.1")
