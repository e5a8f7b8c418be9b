"""infra/provision.py applies infra/template.json (the production definition) to the emulator, faithfully and
idempotently, with the names the local stage's configuration expects."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.provision import LOCAL_ACCOUNT, Provisioner, Resolver, load_template, local_parameters, provision
from tests.conftest import stage_env

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def local_env() -> dict[str, str]:
    return stage_env("local")


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, str]]:
    """One provisioned emulator for the whole module (provisioning is what is tested; it is idempotent)."""
    from moto import mock_aws

    with mock_aws():
        yield provision()


def client(service: str) -> Any:
    factory: Any = boto3.client
    return factory(service, region_name=REGION)


def test_table_has_ttl_on_expires_at_the_three_indexes_pitr_and_kms_encryption(aws: dict[str, str]) -> None:
    ddb = client("dynamodb")
    ttl = ddb.describe_time_to_live(TableName=aws["TableName"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    table = ddb.describe_table(TableName=aws["TableName"])["Table"]
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == {
        "subject_index", "due_index", "open_index"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["SSEDescription"]["SSEType"] == "KMS"
    backups = ddb.describe_continuous_backups(TableName=aws["TableName"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_keys_table_has_ttl_and_no_point_in_time_recovery(aws: dict[str, str]) -> None:
    ddb = client("dynamodb")
    ttl = ddb.describe_time_to_live(TableName=aws["KeysTableName"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    backups = ddb.describe_continuous_backups(TableName=aws["KeysTableName"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


def test_intake_queue_is_encrypted_and_redrives_to_its_dead_letter_queue(aws: dict[str, str]) -> None:
    sqs = client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=aws["IntakeQueueUrl"], AttributeNames=["All"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == aws["DataKeyId"] and attributes["MessageRetentionPeriod"] == "86400"
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"].endswith(":privacy-backend-local-intake-dead")


@pytest.mark.parametrize(("output", "days"), [("ExportsBucketName", 7), ("InboundBucketName", 30)])
def test_buckets_are_encrypted_private_and_expire_objects(aws: dict[str, str], output: str, days: int) -> None:
    s3 = client("s3")
    bucket = aws[output]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": aws["DataKeyId"]}
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [(r["Status"], r["Expiration"]["Days"]) for r in lifecycle] == [("Enabled", days)]
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]


def test_kms_alias_resolves_to_the_rotating_data_key(aws: dict[str, str], local_env: dict[str, str]) -> None:
    kms = client("kms")
    metadata = kms.describe_key(KeyId=local_env["KMS_KEY_ID"])["KeyMetadata"]
    assert metadata["KeyId"] == aws["DataKeyId"]
    assert kms.get_key_rotation_status(KeyId=aws["DataKeyId"])["KeyRotationEnabled"] is True
    # The key works for what the backend does with it.
    data_key = kms.generate_data_key(KeyId=local_env["KMS_KEY_ID"], KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]


def test_inbound_topic_exists_encrypted_and_allows_ses(aws: dict[str, str]) -> None:
    attributes = client("sns").get_topic_attributes(TopicArn=aws["InboundTopicArn"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == aws["DataKeyId"]
    assert "ses.amazonaws.com" in attributes["Policy"]


def test_sender_identity_is_verified_and_can_send(aws: dict[str, str], local_env: dict[str, str]) -> None:
    ses = client("ses")
    identities = [local_env["SENDER_EMAIL"], local_env["SITE_DOMAIN"]]
    status = ses.get_identity_verification_attributes(Identities=identities)["VerificationAttributes"]
    assert {name: value["VerificationStatus"] for name, value in status.items()} == dict.fromkeys(identities,
                                                                                                 "Success")
    ses.send_email(Source=local_env["SENDER_EMAIL"], Destination={"ToAddresses": ["someone@example.org"]},
                   Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}})


def test_receipt_rule_stores_privacy_mail_in_the_inbound_bucket_and_notifies_the_topic(
        aws: dict[str, str], local_env: dict[str, str]) -> None:
    ses = client("ses")
    active = ses.describe_active_receipt_rule_set()
    assert active["Metadata"]["Name"] == "privacy-backend-local"
    [rule] = active["Rules"]
    assert rule["Enabled"] is True
    assert rule["ScanEnabled"] is True
    assert rule["Recipients"] == [local_env["PRIVACY_MAILBOX"]]
    assert rule["Actions"] == [{"S3Action": {"BucketName": aws["InboundBucketName"], "ObjectKeyPrefix": "inbound/",
                                             "TopicArn": aws["InboundTopicArn"]}}]


def test_names_match_the_local_stage_configuration(aws: dict[str, str], local_env: dict[str, str]) -> None:
    assert aws["TableName"] == local_env["TABLE_NAME"]
    assert aws["ExportsBucketName"] == local_env["EXPORTS_BUCKET"]
    assert aws["InboundBucketName"] == local_env["INBOUND_BUCKET"]
    assert aws["InboundTopicArn"] == local_env["INBOUND_TOPIC_ARN"]
    assert local_env["KMS_KEY_ID"] == "alias/privacy-backend-local"
    assert client("kms").describe_key(KeyId=local_env["KMS_KEY_ID"])["KeyMetadata"]["KeyId"] == aws["DataKeyId"]
    assert f":{LOCAL_ACCOUNT}:" in aws["InboundTopicArn"]


def _inventory() -> dict[str, Any]:
    kms, ses = client("kms"), client("ses")
    return {
        "tables": client("dynamodb").list_tables()["TableNames"],
        "buckets": sorted(b["Name"] for b in client("s3").list_buckets()["Buckets"]),
        "keys": len(kms.list_keys()["Keys"]),
        "aliases": sorted(a["AliasName"] for a in kms.list_aliases()["Aliases"] if "privacy" in a["AliasName"]),
        "topics": [t["TopicArn"] for t in client("sns").list_topics()["Topics"]],
        "rule_sets": [r["Name"] for r in ses.list_receipt_rule_sets()["RuleSets"]],
        "rules": [r["Name"] for r in ses.describe_receipt_rule_set(RuleSetName="privacy-backend-local")["Rules"]],
        "identities": sorted(ses.list_identities()["Identities"]),
    }


def test_provisioning_twice_is_harmless(aws: dict[str, str]) -> None:
    ddb, s3 = client("dynamodb"), client("s3")
    item = {"pk": {"S": "KEEP"}, "sk": {"S": "ME"}}
    ddb.put_item(TableName=aws["TableName"], Item=item)
    s3.put_object(Bucket=aws["InboundBucketName"], Key="inbound/m1", Body=b"mail")
    before = _inventory()

    assert provision() == aws

    assert _inventory() == before
    assert ddb.get_item(TableName=aws["TableName"], Key=item)["Item"] == item
    assert s3.get_object(Bucket=aws["InboundBucketName"], Key="inbound/m1")["Body"].read() == b"mail"
    assert client("dynamodb").describe_time_to_live(TableName=aws["TableName"])["TimeToLiveDescription"][
        "TimeToLiveStatus"] == "ENABLED"


def test_a_template_property_the_emulator_would_ignore_is_an_error(aws: dict[str, str]) -> None:
    template = copy.deepcopy(load_template())
    template["Resources"]["PrivacyTable"]["Properties"]["StreamSpecification"] = {"StreamViewType": "KEYS_ONLY"}
    provisioner = Provisioner(boto3.session.Session(), Resolver(params=local_parameters(), region=REGION), None)
    with pytest.raises(ValueError, match="StreamSpecification"):
        provisioner.apply(template)


def test_inbound_bucket_lets_ses_write_and_the_backend_read(aws: dict[str, str]) -> None:
    """moto ignores policy Conditions: the conditional Deny (insecure transport) is left out locally, or it would
    deny every request; the SES Allow stays."""
    import json

    s3 = client("s3")
    bucket = aws["InboundBucketName"]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert [st["Sid"] for st in policy["Statement"]] == ["AllowSesPuts"]
    s3.put_object(Bucket=bucket, Key="inbound/abc", Body=b"raw mime")
    assert s3.get_object(Bucket=bucket, Key="inbound/abc")["Body"].read() == b"raw mime"
    s3.delete_object(Bucket=bucket, Key="inbound/abc")


def test_a_session_made_before_moto_was_loaded_is_not_reused_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sessions are cached for speed; one without moto's interception (made e.g. to provision a moto server before
    moto was imported) must never serve in-process provisioning, or it would call real AWS."""
    from infra import provision as module

    before_moto = object()
    monkeypatch.setitem(module._sessions, (REGION, False), before_moto)
    assert module._session(REGION) is not before_moto
