"""Apply infra/template.json to an AWS API endpoint (the local moto emulator, in-process or server).

moto's CloudFormation ignores TTL and has no SES resources, so instead of `create_stack` the template's resources
are read and applied one by one through the service APIs, with the same names and settings as production.
Running it twice is harmless (existing resources are kept).

    python -m infra.provision --stage local --endpoint http://127.0.0.1:5000
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent / "template.json"
LOCAL_ACCOUNT = "123456789012"


# The properties each resource type's provisioning applies; any other property in the template is an error, so the
# emulator never silently differs from production.
APPLIED: dict[str, set[str]] = {
    "AWS::KMS::Key": {"Description", "EnableKeyRotation", "KeySpec", "KeyPolicy"},
    "AWS::KMS::Alias": {"AliasName", "TargetKeyId"},
    "AWS::DynamoDB::Table": {"TableName", "BillingMode", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes",
                             "TimeToLiveSpecification", "PointInTimeRecoverySpecification", "SSESpecification",
                             "DeletionProtectionEnabled"},
    "AWS::S3::Bucket": {"BucketName", "BucketEncryption", "PublicAccessBlockConfiguration", "OwnershipControls",
                        "VersioningConfiguration", "LifecycleConfiguration"},
    "AWS::S3::BucketPolicy": {"Bucket", "PolicyDocument"},
    "AWS::SNS::Topic": {"TopicName", "KmsMasterKeyId"},
    "AWS::SQS::Queue": {"QueueName", "KmsMasterKeyId", "MessageRetentionPeriod", "VisibilityTimeout",
                        "RedrivePolicy"},
    "AWS::SNS::TopicPolicy": {"Topics", "PolicyDocument"},
    "AWS::SES::EmailIdentity": {"EmailIdentity"},
    "AWS::SES::ReceiptRuleSet": {"RuleSetName"},
    "AWS::SES::ReceiptRule": {"RuleSetName", "Rule"},
}


def load_template() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text())  # type: ignore[no-any-return]


@dataclass
class Resolver:
    """Resolves the intrinsic functions the template uses (Ref, Fn::Sub, Fn::GetAtt) for one stage."""

    params: dict[str, str]
    region: str
    account: str = LOCAL_ACCOUNT
    physical: dict[str, str] = field(default_factory=dict)  # logical id -> Ref value
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # logical id -> {Arn: ...}

    def pseudo(self) -> dict[str, str]:
        return {"AWS::AccountId": self.account, "AWS::Region": self.region, "AWS::Partition": "aws",
                "AWS::StackName": "privacy-backend"}

    def ref(self, name: str) -> str:
        if name in self.params:
            return self.params[name]
        if name in self.pseudo():
            return self.pseudo()[name]
        return self.physical[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.ref(value["Ref"])
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1)), value["Fn::Sub"])
        if set(value) == {"Fn::GetAtt"}:
            logical, attribute = value["Fn::GetAtt"]
            return self.attributes[logical][attribute]
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, expression: str) -> str:
        if "." in expression:
            logical, attribute = expression.split(".", 1)
            return self.attributes[logical][attribute]
        return self.ref(expression)


def _ignore_exists(call: Callable[[], Any], *codes: str) -> None:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in codes:
            raise


class Provisioner:
    def __init__(self, session: Any, resolver: Resolver, endpoint: str | None) -> None:
        self.session = session
        self.r = resolver
        self.endpoint = endpoint
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, region_name=self.r.region, endpoint_url=self.endpoint
            )
        return self._clients[service]

    def apply(self, template: dict[str, Any]) -> dict[str, str]:
        resources = template["Resources"]
        for logical in _ordered(resources):
            spec = resources[logical]
            handler = getattr(self, "_" + spec["Type"].replace("::", "_").lower(), None)
            if handler is None:
                raise ValueError(f"no local provisioning for {spec['Type']} ({logical})")
            properties = spec.get("Properties", {})
            unknown = set(properties) - APPLIED[spec["Type"]]
            if unknown:  # the emulator must not silently differ from production
                raise ValueError(f"{logical}: local provisioning does not apply {sorted(unknown)} yet")
            handler(logical, self.r.resolve(properties))
        return {name: self.r.resolve(out["Value"]) for name, out in template.get("Outputs", {}).items()}

    # -- KMS ------------------------------------------------------------------------------------------------
    def _aws_kms_key(self, logical: str, props: dict[str, Any]) -> None:
        kms = self.client("kms")
        alias = next((self.r.resolve(spec["Properties"]["AliasName"]) for spec in load_template()["Resources"].values()
                      if spec["Type"] == "AWS::KMS::Alias"), None)
        key_id = None
        if alias:
            aliases = kms.list_aliases()["Aliases"]
            key_id = next((a.get("TargetKeyId") for a in aliases if a["AliasName"] == alias), None)
        if key_id is None:
            create: dict[str, Any] = {"Description": props.get("Description", ""),
                                      "KeySpec": props.get("KeySpec", "SYMMETRIC_DEFAULT")}
            if "KeyPolicy" in props:
                create["Policy"] = json.dumps(props["KeyPolicy"])
            key_id = kms.create_key(**create)["KeyMetadata"]["KeyId"]
        if props.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=key_id)
        arn = kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
        self.r.physical[logical] = key_id
        self.r.attributes[logical] = {"Arn": arn, "KeyId": key_id}

    def _aws_kms_alias(self, logical: str, props: dict[str, Any]) -> None:
        kms = self.client("kms")
        _ignore_exists(lambda: kms.create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"]),
                       "AlreadyExistsException")
        self.r.physical[logical] = props["AliasName"]

    # -- DynamoDB -------------------------------------------------------------------------------------------
    def _aws_dynamodb_table(self, logical: str, props: dict[str, Any]) -> None:
        ddb = self.client("dynamodb")
        name = props["TableName"]
        params: dict[str, Any] = {k: props[k] for k in ("AttributeDefinitions", "KeySchema",
                                                        "GlobalSecondaryIndexes", "BillingMode",
                                                        "DeletionProtectionEnabled") if k in props}
        if "SSESpecification" in props:  # CloudFormation's SSEEnabled is the API's Enabled
            sse = props["SSESpecification"]
            params["SSESpecification"] = {"Enabled": sse["SSEEnabled"], **{
                k: sse[k] for k in ("SSEType", "KMSMasterKeyId") if k in sse}}
        _ignore_exists(lambda: ddb.create_table(TableName=name, **params), "ResourceInUseException")
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            current = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr:
            ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification=pitr)
        arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
        self.r.physical[logical] = name
        self.r.attributes[logical] = {"Arn": arn}

    # -- S3 -------------------------------------------------------------------------------------------------
    def _aws_s3_bucket(self, logical: str, props: dict[str, Any]) -> None:
        s3 = self.client("s3")
        name = props["BucketName"]
        create: dict[str, Any] = {"Bucket": name}
        if self.r.region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": self.r.region}
        _ignore_exists(lambda: s3.create_bucket(**create), "BucketAlreadyOwnedByYou", "BucketAlreadyExists")
        if "BucketEncryption" in props:
            rules = [_encryption_rule(rule) for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(Bucket=name,
                                       PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
        if "OwnershipControls" in props:
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
        if "LifecycleConfiguration" in props:
            rules = [_lifecycle_rule(rule) for rule in props["LifecycleConfiguration"]["Rules"]]
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        self.r.physical[logical] = name
        self.r.attributes[logical] = {"Arn": f"arn:aws:s3:::{name}"}

    def _aws_s3_bucketpolicy(self, logical: str, props: dict[str, Any]) -> None:
        self.client("s3").put_bucket_policy(Bucket=props["Bucket"],
                                            Policy=json.dumps(emulator_policy(props["PolicyDocument"])))
        self.r.physical[logical] = props["Bucket"]

    # -- SNS ------------------------------------------------------------------------------------------------
    def _aws_sns_topic(self, logical: str, props: dict[str, Any]) -> None:
        attributes = {"KmsMasterKeyId": props["KmsMasterKeyId"]} if "KmsMasterKeyId" in props else {}
        arn = self.client("sns").create_topic(Name=props["TopicName"], Attributes=attributes)["TopicArn"]
        self.r.physical[logical] = arn
        self.r.attributes[logical] = {"TopicArn": arn, "TopicName": props["TopicName"]}

    def _aws_sns_topicpolicy(self, logical: str, props: dict[str, Any]) -> None:
        for topic in props["Topics"]:
            self.client("sns").set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                                    AttributeValue=json.dumps(props["PolicyDocument"]))
        self.r.physical[logical] = logical

    # -- SQS ------------------------------------------------------------------------------------------------
    def _aws_sqs_queue(self, logical: str, props: dict[str, Any]) -> None:
        sqs = self.client("sqs")
        attributes: dict[str, str] = {name: str(props[name]) for name in ("KmsMasterKeyId", "MessageRetentionPeriod",
                                                          "VisibilityTimeout") if name in props}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.r.physical[logical] = url
        self.r.attributes[logical] = {"Arn": arn, "QueueName": props["QueueName"], "QueueUrl": url}

    # -- SES ------------------------------------------------------------------------------------------------
    def _aws_ses_emailidentity(self, logical: str, props: dict[str, Any]) -> None:
        ses = self.client("ses")
        identity = props["EmailIdentity"]
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)
        for address in (self.r.params.get("SenderEmail"), self.r.params.get("PrivacyMailbox")):
            if address:  # moto checks the sender address itself
                ses.verify_email_identity(EmailAddress=address)
        self.r.physical[logical] = identity

    def _aws_ses_receiptruleset(self, logical: str, props: dict[str, Any]) -> None:
        ses = self.client("ses")
        _ignore_exists(lambda: ses.create_receipt_rule_set(RuleSetName=props["RuleSetName"]), "AlreadyExists",
                       "AlreadyExistsException", "RuleSetNameAlreadyExists")
        # Only the active rule set receives mail.  CloudFormation cannot activate one (a one-time deployment
        # step, see README); the emulator activates it so that it behaves like a deployed account.
        ses.set_active_receipt_rule_set(RuleSetName=props["RuleSetName"])
        self.r.physical[logical] = props["RuleSetName"]

    def _aws_ses_receiptrule(self, logical: str, props: dict[str, Any]) -> None:
        ses = self.client("ses")
        rule = dict(props["Rule"])
        from botocore.exceptions import ClientError

        try:
            ses.create_receipt_rule(RuleSetName=props["RuleSetName"], Rule=rule)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("AlreadyExists", "AlreadyExistsException",
                                                                   "RuleAlreadyExists"):
                raise
            ses.update_receipt_rule(RuleSetName=props["RuleSetName"], Rule=rule)  # converge to the template
        self.r.physical[logical] = rule["Name"]


def emulator_policy(document: dict[str, Any]) -> dict[str, Any]:
    """The bucket policy as the emulator can apply it.

    moto evaluates bucket policies but ignores their `Condition`s, so a conditional Deny (e.g. "deny when
    aws:SecureTransport is false") would deny every request.  Those statements are left out locally; they are
    deployed as written (see tests/integration/test_package.py).
    """
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = [st for st in statements if not (st.get("Effect") == "Deny" and "Condition" in st)]
    return {**document, "Statement": kept}


def _encryption_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's encryption rule shape -> the S3 API's."""
    default = rule["ServerSideEncryptionByDefault"]
    converted: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": default["SSEAlgorithm"]}}
    if "KMSMasterKeyID" in default:
        converted["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] = default["KMSMasterKeyID"]
    if "BucketKeyEnabled" in rule:
        converted["BucketKeyEnabled"] = rule["BucketKeyEnabled"]
    return converted


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's lifecycle rule shape -> the S3 API's."""
    converted: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"],
                                 "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "AbortIncompleteMultipartUpload" in rule:
        converted["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return converted


def _ordered(resources: dict[str, Any]) -> list[str]:
    """Resources in dependency order (Ref / GetAtt / Sub / DependsOn)."""
    def deps(spec: Any) -> set[str]:
        found: set[str] = set()
        text = json.dumps(spec)
        for logical in resources:
            if (f'"Ref": "{logical}"' in text or f'["{logical}",' in text or f"${{{logical}." in text
                    or f"${{{logical}}}" in text):
                found.add(logical)
        depends = spec.get("DependsOn", []) if isinstance(spec, dict) else []
        found.update([depends] if isinstance(depends, str) else depends)
        return found

    order: list[str] = []
    pending = dict(resources)
    while pending:
        ready = [name for name, spec in pending.items() if deps(spec) - {name} <= set(order)]
        if not ready:
            raise ValueError(f"circular dependencies among {sorted(pending)}")
        for name in sorted(ready):
            order.append(name)
            pending.pop(name)
    return order


def local_parameters(stage: str = "local") -> dict[str, str]:
    """The template parameters of the local stage, from .chalice/config.json."""
    env = stage_environment(stage)
    return {"Stage": stage, "PrivacyMailbox": env["PRIVACY_MAILBOX"], "SenderEmail": env["SENDER_EMAIL"],
            "MailDomain": env["SITE_DOMAIN"]}


def stage_environment(stage: str) -> dict[str, str]:
    config = json.loads((TEMPLATE.parent.parent / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


_sessions: dict[tuple[str, bool], Any] = {}


def _session(region: str) -> Any:
    """One session (fake credentials) per region and process: it caches the service models, so the clients of
    later calls (every test's provisioning) are built in milliseconds instead of re-reading the models.

    moto intercepts in-process calls through a handler that sessions only get when created after moto was
    imported: a session made before that (e.g. to provision a moto server) is never reused once moto is loaded.
    """
    import sys

    key = (region, "moto.core.models" in sys.modules)
    if key not in _sessions:
        import boto3

        _sessions[key] = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                               region_name=region)
    return _sessions[key]


def provision(session: Any = None, *, stage: str = "local", endpoint: str | None = None,
              region: str = "eu-west-1") -> dict[str, str]:
    """Create every resource of the template for `stage`; return the template's outputs (names, ARNs)."""
    if session is None:
        session = _session(region)
    resolver = Resolver(params=local_parameters(stage), region=region)
    return Provisioner(session, resolver, endpoint).apply(load_template())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", default="local")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="eu-west-1")
    args = parser.parse_args()
    print(json.dumps(provision(stage=args.stage, endpoint=args.endpoint, region=args.region), indent=2))


if __name__ == "__main__":
    main()
