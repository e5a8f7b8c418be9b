"""Write the deployable CloudFormation (SAM) template: `make package` (= `python -m infra.package build/package`).

    python -m infra.package OUTDIR [--stage prod] [--no-lint]

1. Builds a merge template: infra/template.json (every resource: table, key, buckets, topic, SES) with the
   parameters pinned to the chalice stage, plus the functions' IAM role (`DefaultRole`, the role chalice generates
   and every function shares) replaced by a least-privilege policy: only the actions the code uses, on the
   template's own resources.
2. Runs `chalice package --stage STAGE --pkg-format cloudformation --merge-template <it> OUTDIR` (chalice downloads
   Lambda-compatible wheels from PyPI and caches them in .chalice/deployments/).
3. Post-processes OUTDIR/sam.json so that it holds for every `AWS::Serverless::Function`, present or future (API,
   SNS, schedule): resource names in the environment (TABLE_NAME, ... from Ref), the shared role, a deterministic
   name `<app>-<stage>-<logical id>` and a log group with bounded retention.
4. Runs cfn-lint on the result and fails on errors.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from infra.provision import load_template, stage_environment

ROOT = Path(__file__).resolve().parent.parent
DEPLOYMENTS = ROOT / ".chalice" / "deployments"  # chalice's package cache: one ~30 MB zip per code version
KEEP_DEPLOYMENTS = 3
DEPENDENCY_INDEX = DEPLOYMENTS / "by-requirements.json"  # requirements hash -> latest package built from them
ROLE = "DefaultRole"  # chalice's managed role when autogen_policy is on (the default): shared by every function
LOG_RETENTION_DAYS = 30
FUNCTION_TYPE = "AWS::Serverless::Function"
MAX_FUNCTION_NAME = 64

# What every function gets from the template's resources (names and ARNs are only known at deployment).
RESOURCE_ENV: dict[str, Any] = {
    "TABLE_NAME": {"Ref": "PrivacyTable"},
    "KEYS_TABLE_NAME": {"Ref": "SubjectKeysTable"},
    "EXPORTS_BUCKET": {"Ref": "ExportsBucket"},
    "INBOUND_BUCKET": {"Ref": "InboundMailBucket"},
    "KMS_KEY_ID": {"Ref": "DataKey"},
    "INBOUND_TOPIC_ARN": {"Ref": "InboundTopic"},
    "INTAKE_QUEUE_URL": {"Ref": "IntakeQueue"},
}

# Event sources wired here rather than with chalice decorators, because they name stack resources (e.g. the topic,
# whose name differs per stage): chalice function name -> SAM events of that function.
EVENT_SOURCES: dict[str, dict[str, Any]] = {
    "ingest_inbound_mail": {"InboundMail": {"Type": "SNS", "Properties": {"Topic": {"Ref": "InboundTopic"}}}},
    "privacy_intake": {"IntakeQueue": {"Type": "SQS", "Properties": {
        "Queue": {"Fn::GetAtt": ["IntakeQueue", "Arn"]}, "BatchSize": 10,
        "FunctionResponseTypes": ["ReportBatchItemFailures"]}}},
}

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}

# Every action the code performs.  DynamoDB transactions (TransactWriteItems) have no IAM action of their own: they
# are authorised per item as PutItem / UpdateItem / DeleteItem / ConditionCheckItem.
# DescribeTable: the retention run's anomaly brake reads the table's approximate item count.  S3 multipart uploads
# (exports) need s3:PutObject, plus s3:AbortMultipartUpload to clean up a failed one.
DYNAMODB_ITEM_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                         "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:BatchWriteItem",
                         "dynamodb:Query", "dynamodb:DescribeTable"]
ALLOWED_ACTIONS = frozenset([
    *DYNAMODB_ITEM_ACTIONS,
    "kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt",
    "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:AbortMultipartUpload",
    "ses:SendEmail", "ses:SendRawEmail",
    "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
    "ssm:GetParameter", "ssm:GetParameters",
    "logs:CreateLogStream", "logs:PutLogEvents",
])


# Every AWS operation the code calls -> the IAM actions it needs (tests/integration/test_package.py scans chalicelib/
# for boto3 operations and fails on one missing here, so the role follows the code).
OPERATION_ACTIONS: dict[str, list[str]] = {
    "get_item": ["dynamodb:GetItem"],
    "batch_get_item": ["dynamodb:BatchGetItem"],
    "put_item": ["dynamodb:PutItem"],
    "update_item": ["dynamodb:UpdateItem"],
    "delete_item": ["dynamodb:DeleteItem"],
    "query": ["dynamodb:Query"],
    "batch_write_item": ["dynamodb:BatchWriteItem"],
    "transact_write_items": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                             "dynamodb:ConditionCheckItem"],
    "describe_table": ["dynamodb:DescribeTable"],
    "generate_data_key": ["kms:GenerateDataKey"],
    "decrypt": ["kms:Decrypt"],
    "encrypt": ["kms:Encrypt"],
    "get_object": ["s3:GetObject", "kms:Decrypt"],
    "put_object": ["s3:PutObject", "kms:GenerateDataKey"],
    "copy_object": ["s3:GetObject", "s3:PutObject", "kms:Decrypt", "kms:GenerateDataKey"],
    "create_multipart_upload": ["s3:PutObject", "kms:GenerateDataKey"],
    "upload_part": ["s3:PutObject", "kms:GenerateDataKey", "kms:Decrypt"],
    "complete_multipart_upload": ["s3:PutObject", "kms:Decrypt"],
    "abort_multipart_upload": ["s3:AbortMultipartUpload"],
    "delete_object": ["s3:DeleteObject"],
    "delete_objects": ["s3:DeleteObject"],
    "list_objects_v2": ["s3:ListBucket"],
    "generate_presigned_url": [],  # signed locally; the GET it allows needs s3:GetObject (get_object)
    "send_email": ["ses:SendEmail"],
    "send_raw_email": ["ses:SendRawEmail"],
    "send_message": ["sqs:SendMessage", "kms:GenerateDataKey"],
    "get_parameter": ["ssm:GetParameter"],
    "get_parameters": ["ssm:GetParameters"],
    "verify": [],  # not KMS here: webhook signature verification (certificates, HMAC)
}


class PackageError(RuntimeError):
    """Packaging failed (the message says why)."""


class WheelDownloadError(PackageError):
    """chalice could not get Lambda wheels for some dependencies (no network to PyPI?)."""


def function_name_prefix(app_name: str, stage: str) -> str:
    return f"{app_name}-{stage}-"


def function_policy(app_name: str, stage: str, env: dict[str, str]) -> dict[str, Any]:
    """The least-privilege policy of the functions' role (resources by Ref/GetAtt, no `*` action or resource)."""
    arn = "arn:${AWS::Partition}"
    ssm_prefix = env.get("SSM_PREFIX", f"/{app_name}/{stage}").strip("/")
    log_groups = f"{arn}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/" \
                 f"{function_name_prefix(app_name, stage)}*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TableItems", "Effect": "Allow", "Action": DYNAMODB_ITEM_ACTIONS,
             "Resource": [{"Fn::GetAtt": ["PrivacyTable", "Arn"]}]},
            {"Sid": "KeysTableItems", "Effect": "Allow",
             "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                        "dynamodb:ConditionCheckItem"],
             "Resource": [{"Fn::GetAtt": ["SubjectKeysTable", "Arn"]}]},
            {"Sid": "TableIndexes", "Effect": "Allow", "Action": ["dynamodb:Query"],
             "Resource": [{"Fn::Sub": "${PrivacyTable.Arn}/index/*"}]},
            {"Sid": "DataKey", "Effect": "Allow",
             "Action": ["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"],
             "Resource": [{"Fn::GetAtt": ["DataKey", "Arn"]}]},
            {"Sid": "BucketObjects", "Effect": "Allow",
             "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": [{"Fn::Sub": "${ExportsBucket.Arn}/*"}, {"Fn::Sub": "${InboundMailBucket.Arn}/*"}]},
            {"Sid": "ExportUploads", "Effect": "Allow", "Action": ["s3:AbortMultipartUpload"],
             "Resource": [{"Fn::Sub": "${ExportsBucket.Arn}/*"}]},
            {"Sid": "BucketListing", "Effect": "Allow", "Action": ["s3:ListBucket"],
             "Resource": [{"Fn::GetAtt": ["ExportsBucket", "Arn"]}, {"Fn::GetAtt": ["InboundMailBucket", "Arn"]}]},
            {"Sid": "SendMail", "Effect": "Allow", "Action": ["ses:SendEmail", "ses:SendRawEmail"],
             "Resource": [{"Fn::Sub": f"{arn}:ses:${{AWS::Region}}:${{AWS::AccountId}}:identity/${{MailDomain}}"},
                          {"Fn::Sub": f"{arn}:ses:${{AWS::Region}}:${{AWS::AccountId}}:identity/${{SenderEmail}}"}]},
            {"Sid": "IntakeQueue", "Effect": "Allow",
             "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
             "Resource": [{"Fn::GetAtt": ["IntakeQueue", "Arn"]}]},
            {"Sid": "StageSecrets", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"],
             "Resource": [{"Fn::Sub": f"{arn}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/{ssm_prefix}/*"}]},
            {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [{"Fn::Sub": f"{log_groups}:*"}]},
        ],
    }


def app_name() -> str:
    return str(json.loads((ROOT / ".chalice" / "config.json").read_text())["app_name"])


def merge_template(stage: str) -> dict[str, Any]:
    """infra/template.json, pinned to `stage`, plus the functions' least-privilege role."""
    template = load_template()
    env = stage_environment(stage)
    name = app_name()
    parameters = template["Parameters"]
    # One package = one stage: the resource names (${Stage}) must match the functions' configuration.
    parameters["Stage"].update(Default=stage, AllowedValues=[stage])
    parameters["PrivacyMailbox"]["Default"] = env["PRIVACY_MAILBOX"]
    parameters["SenderEmail"]["Default"] = env["SENDER_EMAIL"]
    parameters["MailDomain"]["Default"] = env["SITE_DOMAIN"]
    template["Resources"][ROLE] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": LAMBDA_TRUST,
            "Policies": [{"PolicyName": f"{name}-{stage}-least-privilege",
                          "PolicyDocument": function_policy(name, stage, env)}],
        },
    }
    return template


def _references(value: Any) -> str:
    return json.dumps(value)


def postprocess(template: dict[str, Any], stage: str) -> dict[str, Any]:
    """Apply the per-function settings to every function chalice generated (API, SNS, schedule, ...)."""
    resources: dict[str, Any] = template["Resources"]
    prefix = function_name_prefix(app_name(), stage)
    functions = [logical for logical, spec in resources.items() if spec.get("Type") == FUNCTION_TYPE]
    if not functions:
        raise PackageError("chalice generated no functions")
    for logical in functions:
        properties = resources[logical]["Properties"]
        variables = properties.setdefault("Environment", {}).setdefault("Variables", {})
        variables.update(RESOURCE_ENV)
        properties["Role"] = {"Fn::GetAtt": [ROLE, "Arn"]}
        function_name = f"{prefix}{logical}"
        if len(function_name) > MAX_FUNCTION_NAME:
            raise PackageError(f"function name {function_name!r} is longer than {MAX_FUNCTION_NAME} characters")
        properties["FunctionName"] = function_name
        log_group = f"{logical}LogGroup"
        resources[log_group] = {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {"LogGroupName": f"/aws/lambda/{function_name}", "RetentionInDays": LOG_RETENTION_DAYS},
        }
        depends = resources[logical].get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else list(depends)
        resources[logical]["DependsOn"] = sorted({*depends, log_group})
    wire_event_sources(resources)
    # Roles chalice may have generated for individual functions are no longer used: drop them.
    for logical in [name for name, spec in resources.items()
                    if spec.get("Type") == "AWS::IAM::Role" and name != ROLE]:
        others = {k: v for k, v in resources.items() if k != logical}
        if f'"{logical}"' not in _references(others) and f"${{{logical}" not in _references(others):
            del resources[logical]
    return template


def wire_event_sources(resources: dict[str, Any]) -> None:
    from chalice.utils import to_cfn_resource_name

    for function, events in EVENT_SOURCES.items():
        logical = to_cfn_resource_name(function)
        if resources.get(logical, {}).get("Type") != FUNCTION_TYPE:
            raise PackageError(f"function {function!r} ({logical}) is not in chalice's output: update "
                               "infra/package.py EVENT_SOURCES")
        resources[logical]["Properties"].setdefault("Events", {}).update(events)


def chalice_package(outdir: Path, merge_file: Path, stage: str) -> str:
    chalice = Path(sys.executable).parent / "chalice"
    cli = [str(chalice)] if chalice.exists() else [
        sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())"]
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "eu-west-1")  # chalice package needs a region, not credentials
    result = subprocess.run(
        [*cli, "package", "--stage", stage, "--pkg-format", "cloudformation", "--merge-template", str(merge_file),
         str(outdir)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    if "Could not install dependencies" in output or "could not be packaged" in output.lower():
        raise WheelDownloadError(f"chalice could not download Lambda wheels:\n{output}")
    if result.returncode != 0:
        raise PackageError(f"chalice package failed ({result.returncode}):\n{output}")
    return output


def _packager() -> Any:
    from chalice.deploy.packager import DependencyBuilder, LambdaDeploymentPackager
    from chalice.utils import UI, OSUtils

    osutils = OSUtils()
    return LambdaDeploymentPackager(osutils, DependencyBuilder(osutils), UI())


def _python_version() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"  # what chalice targets (3.10 to 3.14)


def _requirements_key() -> str | None:
    if (ROOT / "vendor").exists():
        return None  # vendored code is part of chalice's key: let chalice rebuild
    digest = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()
    return f"{digest}-{_python_version()}"


def seed_deployment_cache() -> bool:
    """Reuse the downloaded wheels when only the app code changed.

    chalice keys its package cache on requirements.txt *and* the app code, so every code change would download and
    zip every wheel again (30-60 s).  When a package built from the same requirements exists, it is copied under
    the name chalice expects and chalice's own `inject_latest_app` swaps in the current app.py and chalicelib/;
    `chalice package` then reuses it.  Returns True when it seeded.
    """
    key = _requirements_key()
    if key is None or not DEPENDENCY_INDEX.exists():
        return False
    packager = _packager()
    target = Path(packager.deployment_package_filename(str(ROOT), _python_version()))
    if target.exists():
        return False
    previous = DEPLOYMENTS / json.loads(DEPENDENCY_INDEX.read_text()).get(key, "-missing-")
    if not previous.is_file():
        return False
    shutil.copyfile(previous, target)
    try:
        packager.inject_latest_app(str(target), str(ROOT))
    except Exception:
        target.unlink(missing_ok=True)  # let chalice build it from scratch
        raise
    return True


def remember_deployment() -> None:
    """Record which cached package holds the wheels of the current requirements (for `seed_deployment_cache`)."""
    key = _requirements_key()
    target = Path(_packager().deployment_package_filename(str(ROOT), _python_version()))
    if key is None or not target.exists():
        return
    index = json.loads(DEPENDENCY_INDEX.read_text()) if DEPENDENCY_INDEX.exists() else {}
    index[key] = target.name
    DEPENDENCY_INDEX.write_text(json.dumps(index, indent=2))


def prune_deployment_cache(keep: int = KEEP_DEPLOYMENTS) -> None:
    """chalice keys its cache on the app code too, so it grows by one zip per change: keep the newest few."""
    zips = sorted(DEPLOYMENTS.glob("*.zip"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in zips[keep:]:
        old.unlink(missing_ok=True)


def lint(template_file: Path) -> list[dict[str, Any]]:
    """cfn-lint findings (dicts with Level, Rule.Id, Message, ...)."""
    result = subprocess.run([sys.executable, "-m", "cfnlint", "--format", "json", str(template_file)],
                            capture_output=True, text=True, check=False)
    try:
        findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    except ValueError as error:
        raise PackageError(f"cfn-lint failed: {result.stdout}{result.stderr}") from error
    return findings


def errors(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [finding for finding in findings if finding.get("Level") == "Error"]


def describe(finding: dict[str, Any]) -> str:
    rule = finding.get("Rule", {}).get("Id", "?")
    where = "/".join(str(part) for part in finding.get("Location", {}).get("Path", []) or [])
    return f"{finding.get('Level')} {rule} {where}: {finding.get('Message')}"


def add_store_policy(archive: Path, stage: str) -> str:
    """The stage's policy file (STORE_POLICY, relative to the project root) goes into the package at the same
    path: chalice packages app.py and chalicelib/ only, and the functions read the file at start.  It is checked
    first, so a package never carries a policy the app would refuse."""
    from chalicelib.policy import PolicyError, load_policy

    name = stage_environment(stage).get("STORE_POLICY", "")
    try:
        load_policy(name)
    except PolicyError as error:
        raise PackageError(str(error)) from None
    with zipfile.ZipFile(archive, "a", compression=zipfile.ZIP_DEFLATED) as package:
        if name not in package.namelist():
            package.write(ROOT / name, name)
    return name


def build(outdir: Path, stage: str = "prod") -> Path:
    """chalice package + merge template + post-processing; return the path of the final template."""
    outdir = outdir.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        merge_file = Path(tmp) / "merge-template.json"
        merge_file.write_text(json.dumps(merge_template(stage), indent=2))
        seed_deployment_cache()
        chalice_package(outdir, merge_file, stage)
    remember_deployment()
    prune_deployment_cache()
    add_store_policy(outdir / "deployment.zip", stage)
    template_file = outdir / "sam.json"
    template = postprocess(json.loads(template_file.read_text()), stage)
    template_file.write_text(json.dumps(template, indent=2) + "\n")
    return template_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the deployable template (chalice package + infra/).")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--stage", default="prod", choices=["dev", "prod"])
    parser.add_argument("--no-lint", action="store_true", help="skip cfn-lint")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        template_file = build(args.outdir, args.stage)
        if not args.no_lint:
            findings = lint(template_file)
            for finding in findings:
                print(describe(finding), file=sys.stderr)
            if errors(findings):
                raise PackageError(f"cfn-lint found {len(errors(findings))} error(s) in {template_file}")
    except PackageError as error:
        print(f"package: {error}", file=sys.stderr)
        return 1
    size = (template_file.parent / "deployment.zip").stat().st_size / 1e6
    print(f"package: wrote {template_file} and deployment.zip ({size:.1f} MB) for stage {args.stage} "
          f"in {time.perf_counter() - started:.0f} s")
    print(f"deploy:  aws cloudformation package --template-file {template_file} --s3-bucket <artifacts bucket> "
          f"--output-template-file packaged.json && aws cloudformation deploy --template-file packaged.json "
          f"--stack-name {app_name()}-{args.stage} --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND")
    return 0


if __name__ == "__main__":
    sys.exit(main())
