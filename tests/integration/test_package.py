"""`make package`: the deployable template is valid (cfn-lint), least-privilege, and holds the production settings
of every resource.  Builds once per module (chalice downloads Lambda wheels from PyPI: ~30 s)."""

from __future__ import annotations

import copy
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.package import (
    ALLOWED_ACTIONS,
    FUNCTION_TYPE,
    LOG_RETENTION_DAYS,
    OPERATION_ACTIONS,
    RESOURCE_ENV,
    ROLE,
    PackageError,
    WheelDownloadError,
    build,
    describe,
    errors,
    lint,
    postprocess,
)

LAMBDA_GLIBC = (2, 26)  # python3.11 runs on Amazon Linux 2
ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("dynamodb", "s3", "kms", "ses", "sesv2", "ssm", "sns", "sqs", "secretsmanager", "events", "lambda",
            "sts", "logs", "cloudwatch", "stepfunctions")


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("package")
    try:
        build(outdir, "prod")
    except WheelDownloadError as error:
        pytest.skip(f"chalice package could not download Lambda wheels from PyPI (no network?): {error}")
    return outdir


@pytest.fixture(scope="module")
def template(package_dir: Path) -> dict[str, Any]:
    return json.loads((package_dir / "sam.json").read_text())  # type: ignore[no-any-return]


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in template["Resources"].items() if spec["Type"] == kind}


def only(template: dict[str, Any], kind: str) -> dict[str, Any]:
    [spec] = resources_of(template, kind).values()
    return spec["Properties"]  # type: ignore[no-any-return]


def test_cfn_lint_finds_no_errors(package_dir: Path) -> None:
    findings = lint(package_dir / "sam.json")
    assert errors(findings) == [], "\n".join(describe(f) for f in errors(findings))


def test_every_function_gets_the_resource_names_the_shared_role_and_a_bounded_log_group(
        template: dict[str, Any]) -> None:
    functions = resources_of(template, FUNCTION_TYPE)
    assert "APIHandler" in functions
    for logical, spec in functions.items():
        properties = spec["Properties"]
        variables = properties["Environment"]["Variables"]
        assert {name: variables[name] for name in RESOURCE_ENV} == RESOURCE_ENV, logical
        assert variables["STAGE"] == "prod" and variables["SECRETS_SOURCE"] == "ssm"
        assert properties["Role"] == {"Fn::GetAtt": [ROLE, "Arn"]}
        assert "Policies" not in properties  # no SAM policy templates beside the role
        assert properties["FunctionName"] == f"privacy-backend-prod-{logical}"
        log_group = template["Resources"][f"{logical}LogGroup"]
        assert log_group["Properties"] == {"LogGroupName": f"/aws/lambda/privacy-backend-prod-{logical}",
                                           "RetentionInDays": LOG_RETENTION_DAYS}
        assert f"{logical}LogGroup" in spec["DependsOn"]


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every permission statement given to a principal of this stack (roles, managed and inline policies)."""
    statements: list[dict[str, Any]] = []
    for spec in template["Resources"].values():
        properties = spec.get("Properties", {})
        if spec["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                statements.extend(policy["PolicyDocument"]["Statement"])
            assert not properties.get("ManagedPolicyArns"), "managed policies grant more than the code needs"
        elif spec["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            statements.extend(properties["PolicyDocument"]["Statement"])
    return statements


def test_the_functions_role_allows_only_the_actions_the_code_uses(template: dict[str, Any]) -> None:
    assert list(resources_of(template, "AWS::IAM::Role")) == [ROLE]
    statements = _statements(template)
    assert statements
    granted: set[str] = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            assert "*" not in action and "?" not in action, f"wildcard action {action}"
        granted.update(actions)
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            assert resource != "*", f"{statement.get('Sid')}: every resource"
            text = json.dumps(resource)
            for broad in ("arn:*", ":*:", ':::*"', "${AWS::AccountId}:*"):  # any region/account/bucket/...
                assert broad not in text, f"{statement.get('Sid')}: {text}"
    assert granted <= ALLOWED_ACTIONS, granted - ALLOWED_ACTIONS
    # What the code needs is there.
    assert {"dynamodb:TransactWriteItems"} & granted == set()  # not an IAM action: authorised per item
    assert {"dynamodb:PutItem", "dynamodb:ConditionCheckItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable",
            "kms:GenerateDataKey", "kms:Decrypt", "s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload",
            "ses:SendRawEmail", "ssm:GetParameter"} <= granted


def _operations_called_by_the_code() -> dict[str, set[str]]:
    """boto3 operation names (snake case) that chalicelib/ calls, directly or by name (paginators, presigned URLs)."""
    import botocore
    import botocore.session

    session = botocore.session.get_session()
    known = {botocore.xform_name(op) for service in SERVICES
             for op in session.get_service_model(service).operation_names}
    found: dict[str, set[str]] = {}
    for path in (ROOT / "chalicelib").rglob("*.py"):
        text = path.read_text()
        names = re.findall(r"\.([a-z][a-z0-9_]+)\b(?=\s*[(),])", text)
        names += re.findall(r"(?:get_paginator|generate_presigned_url)\(\s*(?:ClientMethod=)?[\"']([a-z0-9_]+)", text)
        for name in names:
            if name in known:
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_aws_operation_in_the_code_is_allowed_by_the_role(template: dict[str, Any]) -> None:
    called = _operations_called_by_the_code()
    assert {"get_item", "transact_write_items", "generate_data_key", "send_raw_email"} <= set(called)
    unmapped = {name: sorted(paths) for name, paths in called.items() if name not in OPERATION_ACTIONS}
    assert not unmapped, f"add these operations' IAM actions to infra/package.py OPERATION_ACTIONS: {unmapped}"
    granted = {action for statement in _statements(template) for action in statement["Action"]}
    missing = {name: sorted(set(OPERATION_ACTIONS[name]) - granted) for name in called
               if not set(OPERATION_ACTIONS[name]) <= granted}
    assert not missing, f"the functions' role lacks: {missing}"


def test_role_statements_name_the_stack_resources(template: dict[str, Any]) -> None:
    by_sid = {statement["Sid"]: statement for statement in _statements(template)}
    assert by_sid["TableItems"]["Resource"] == [{"Fn::GetAtt": ["PrivacyTable", "Arn"]}]
    assert by_sid["TableIndexes"]["Resource"] == [{"Fn::Sub": "${PrivacyTable.Arn}/index/*"}]
    assert by_sid["DataKey"]["Resource"] == [{"Fn::GetAtt": ["DataKey", "Arn"]}]
    assert "parameter/privacy-backend/prod/*" in by_sid["StageSecrets"]["Resource"][0]["Fn::Sub"]
    assert "log-group:/aws/lambda/privacy-backend-prod-*" in by_sid["Logs"]["Resource"][0]["Fn::Sub"]


def test_table_has_ttl_point_in_time_recovery_and_kms_encryption(template: dict[str, Any]) -> None:
    table = template["Resources"]["PrivacyTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "DataKey"}}
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == {
        "subject_index", "due_index", "open_index"}
    assert template["Resources"]["PrivacyTable"]["DeletionPolicy"] == "Retain"


def test_the_keys_table_has_no_point_in_time_recovery_so_no_restore_brings_a_shredded_key_back(
        template: dict[str, Any]) -> None:
    assert set(resources_of(template, "AWS::DynamoDB::Table")) == {"PrivacyTable", "SubjectKeysTable"}
    keys = template["Resources"]["SubjectKeysTable"]
    table = keys["Properties"]
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": False}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["SSESpecification"]["SSEType"] == "KMS" and "GlobalSecondaryIndexes" not in table
    assert table["DeletionProtectionEnabled"] is True and keys["DeletionPolicy"] == "Retain"
    assert not resources_of(template, "AWS::Backup::BackupPlan")  # no backup of any table: nothing to restore keys from


def test_every_function_has_its_own_memory_and_time_limit(template: dict[str, Any]) -> None:
    expected = {"APIHandler": (512, 29), "PrivacyIntake": (256, 30), "IngestInboundMail": (512, 60),
                "ScheduledJob": (1024, 300)}
    functions = resources_of(template, FUNCTION_TYPE)
    assert set(functions) == set(expected)
    for logical, (memory, timeout) in expected.items():
        properties = functions[logical]["Properties"]
        assert (properties["MemorySize"], properties["Timeout"]) == (memory, timeout), logical


def test_the_intake_queue_is_encrypted_short_lived_and_feeds_its_consumer(template: dict[str, Any]) -> None:
    queues = resources_of(template, "AWS::SQS::Queue")
    assert set(queues) == {"IntakeQueue", "IntakeDeadLetterQueue"}
    for spec in queues.values():
        assert spec["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}
        assert spec["Properties"]["MessageRetentionPeriod"] <= 4 * 86_400  # they hold an e-mail address
    intake = queues["IntakeQueue"]["Properties"]
    consumer = template["Resources"]["PrivacyIntake"]["Properties"]
    assert intake["VisibilityTimeout"] >= 6 * consumer["Timeout"]  # AWS' advice for SQS event sources
    assert intake["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["IntakeDeadLetterQueue", "Arn"]}
    assert consumer["Events"] == {"IntakeQueue": {"Type": "SQS", "Properties": {
        "Queue": {"Fn::GetAtt": ["IntakeQueue", "Arn"]}, "BatchSize": 10,
        "FunctionResponseTypes": ["ReportBatchItemFailures"]}}}


def test_both_buckets_refuse_insecure_transport(template: dict[str, Any]) -> None:
    policies = {spec["Properties"]["Bucket"]["Ref"]: spec["Properties"]["PolicyDocument"]["Statement"]
                for spec in resources_of(template, "AWS::S3::BucketPolicy").values()}
    assert set(policies) == {"ExportsBucket", "InboundMailBucket"}
    for bucket, statements in policies.items():
        deny = next(s for s in statements if s.get("Sid") == "DenyInsecureTransport")
        assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*", bucket
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_buckets_are_encrypted_private_and_expire_their_objects(template: dict[str, Any]) -> None:
    buckets = resources_of(template, "AWS::S3::Bucket")
    assert set(buckets) == {"ExportsBucket", "InboundMailBucket"}
    for spec in buckets.values():
        bucket = spec["Properties"]
        [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                         "KMSMasterKeyID": {"Ref": "DataKey"}}
        assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
            ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], True)
        rules = bucket["LifecycleConfiguration"]["Rules"]
        assert rules and all(r["Status"] == "Enabled" and r["ExpirationInDays"] > 0 for r in rules)


def test_ses_stores_privacy_mail_in_the_inbound_bucket_and_notifies_the_topic(template: dict[str, Any]) -> None:
    rule = only(template, "AWS::SES::ReceiptRule")["Rule"]
    assert rule["Enabled"] is True and rule["ScanEnabled"] is True and rule["TlsPolicy"] == "Require"
    assert rule["Recipients"] == [{"Ref": "PrivacyMailbox"}]
    assert rule["Actions"] == [{"S3Action": {"BucketName": {"Ref": "InboundMailBucket"}, "ObjectKeyPrefix": "inbound/",
                                             "TopicArn": {"Ref": "InboundTopic"}}}]
    assert only(template, "AWS::SNS::Topic")["KmsMasterKeyId"] == {"Ref": "DataKey"}
    assert template["Parameters"]["Stage"] == {"Type": "String", "AllowedValues": ["prod"], "Default": "prod"}


def _glibc(tag: str) -> tuple[int, int] | None:
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    match = re.match(r"manylinux_(\d+)_(\d+)_x86_64$", tag)
    if match:
        return int(match.group(1)), int(match.group(2))
    return next((glibc for name, glibc in legacy.items() if tag == f"{name}_x86_64"), None)


def test_native_wheels_in_the_deployment_package_run_on_lambda(package_dir: Path) -> None:
    with zipfile.ZipFile(package_dir / "deployment.zip") as archive:
        wheel_files = [name for name in archive.namelist() if name.endswith(".dist-info/WHEEL")]
        packages = {name.split("/")[0] for name in wheel_files}
        assert any(name.startswith("cryptography-") for name in packages)
        assert any(name.startswith("pydantic_core-") for name in packages)
        for name in wheel_files:
            tags = [line.split(": ", 1)[1] for line in archive.read(name).decode().splitlines()
                    if line.startswith("Tag: ")]
            platforms = {tag.rsplit("-", 1)[1] for tag in tags}
            if platforms == {"any"}:
                continue
            assert any((_glibc(p) or (9, 99)) <= LAMBDA_GLIBC for p in platforms), f"{name}: {tags}"


def test_postprocessing_covers_functions_added_later() -> None:
    """A new handler (SNS, schedule) is a new function in chalice's output: it gets the same treatment, and a
    per-function role chalice might generate is replaced by the least-privilege one."""
    chalice_output = {"Resources": {
        "APIHandler": {"Type": FUNCTION_TYPE, "Properties": {"Role": {"Fn::GetAtt": [ROLE, "Arn"]}}},
        "IngestInboundMail": {"Type": FUNCTION_TYPE, "Properties": {"Role": {"Fn::GetAtt": [ROLE, "Arn"]}}},
        "PrivacyIntake": {"Type": FUNCTION_TYPE, "Properties": {"Role": {"Fn::GetAtt": [ROLE, "Arn"]}}},
        "RetentionTick": {"Type": FUNCTION_TYPE, "Properties": {
            "Environment": {"Variables": {"STAGE": "prod"}}, "Role": {"Fn::GetAtt": ["RetentionTickRole", "Arn"]}}},
        "RetentionTickRole": {"Type": "AWS::IAM::Role", "Properties": {"Policies": []}},
        ROLE: {"Type": "AWS::IAM::Role", "Properties": {"Policies": []}},
    }}
    result = postprocess(copy.deepcopy(chalice_output), "prod")
    resources = result["Resources"]
    assert "RetentionTickRole" not in resources
    for logical in ("APIHandler", "RetentionTick"):
        properties = resources[logical]["Properties"]
        assert properties["Role"] == {"Fn::GetAtt": [ROLE, "Arn"]}
        assert RESOURCE_ENV.items() <= properties["Environment"]["Variables"].items()
        assert resources[f"{logical}LogGroup"]["Type"] == "AWS::Logs::LogGroup"
    assert resources["RetentionTick"]["Properties"]["Environment"]["Variables"]["STAGE"] == "prod"

    del chalice_output["Resources"]["IngestInboundMail"]
    with pytest.raises(PackageError, match="ingest_inbound_mail"):  # wiring that no longer applies fails loudly
        postprocess(copy.deepcopy(chalice_output), "prod")


def test_the_mail_lambda_is_subscribed_to_the_inbound_topic(template: dict[str, Any]) -> None:
    events = template["Resources"]["IngestInboundMail"]["Properties"]["Events"]
    assert events == {"InboundMail": {"Type": "SNS", "Properties": {"Topic": {"Ref": "InboundTopic"}}}}


def test_the_lambda_package_holds_no_fake_and_no_test(package_dir: Path) -> None:
    with zipfile.ZipFile(package_dir / "deployment.zip") as archive:
        names = archive.namelist()
        ours = [name for name in names if name.startswith("chalicelib/") and name.endswith(".py")]
        assert ours and "app.py" in names
        assert not [name for name in names if name.startswith(("tests/", "bench/", "scripts/", "emulator/"))]
        fakes = [name for name in ours if any(marker in archive.read(name) for marker in (b"class InMemory",
                                                                                             b"class Fake"))]
        assert fakes == []
        assert "chalicelib/signatures/paypal_roots.pem" in names  # data files under chalicelib ship too
        assert "policies/jetcards.toml" in names  # the stage's STORE_POLICY, at its path from the project root
        assert not [name for name in names if name.startswith("policies/") and name != "policies/jetcards.toml"]
