"""`make mail FILE=message.eml`: deliver a raw e-mail to the running `make serve` stack exactly as SES would.

1. the MIME goes into the inbound bucket under `inbound/<SES message id>`, with the headers SES prepends (Received
   with the SMTP id, X-SES-Spam-Verdict, X-SES-Virus-Verdict, Authentication-Results);
2. SES's "Received" notification (S3 action) is published to the inbound SNS topic;
3. moto does not deliver SNS to Lambda, so the ingest Lambda (`ingest_inbound_mail`) is then invoked here, through
   `chalice.test.Client(app, stage_name="local")` with the same SNS event, against the emulator.  (If this step is
   skipped with --no-invoke, `make tick` picks the message up from the bucket.)

The running stack is found in .serve/stack.json (written by `make serve`; $SERVE_STACK names another file): its
emulator, and its API's URL for the links in replies (PUBLIC_BASE_URL).  MOTO_PORT overrides the emulator's port
(links then follow the stack only if that is its emulator).  The reply, if any, is sent through the emulator's
SES: read it back at GET <emulator>/moto-api/data.json.

    python -m scripts.mail path/to/message.eml [--spam FAIL] [--virus FAIL] [--auth fail] [--no-invoke]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import string
import sys
import time
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import format_datetime
from pathlib import Path
from typing import Any

REGION = "eu-west-1"


class NoStack(RuntimeError):
    """No running `make serve` stack was found (the message says what to do)."""


def find_stack(moto_port: str | None = None) -> tuple[str, dict[str, str]]:
    """(emulator port, settings over the local stage's configuration) of the stack to use.

    Without `moto_port`: the stack in .serve/stack.json ($SERVE_STACK), which must be running, with its API's
    URL settings (PUBLIC_BASE_URL, ALLOWED_ORIGINS).  With `moto_port` (MOTO_PORT, an override): that emulator, with
    the URL settings of stack.json's stack if it is that one, else the configuration's.
    """
    from scripts.serve import STACK_FILE_ENV, running_stack

    state = running_stack(moto_port)
    if state is not None:
        port = str(state["moto"]).rsplit(":", 1)[1]
        return port, dict(state.get("settings") or {"PUBLIC_BASE_URL": state["api"]})
    if moto_port:
        return str(moto_port), {}
    where = os.environ.get(STACK_FILE_ENV) or ".serve/stack.json"
    raise NoStack(f"no running stack found ({where} is missing or its emulator is not answering): start it with "
                  "`make serve`, or name an emulator with MOTO_PORT=...")


def emulator_environment(port: str, settings: dict[str, str] | None = None) -> dict[str, str]:
    """The local stage's environment, pointed at the emulator (what `make serve` gives the API); `settings` go
    over it (e.g. the served API's PUBLIC_BASE_URL)."""
    from infra.provision import stage_environment
    from scripts.serve import FAKE_CREDENTIALS

    env = stage_environment("local")
    env.update(settings or {})
    env.update(FAKE_CREDENTIALS)
    env.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION)
    return env


def use_emulator(port: str, settings: dict[str, str] | None = None) -> dict[str, str]:
    """Point this process at the emulator; the service's JSON logs go to stderr (stdout is the command's result).

    The settings are read here, once: `chalice.test.Client` puts the stage's configuration from
    .chalice/config.json over the environment during each invocation, which would undo `settings` (e.g. the served
    API's PUBLIC_BASE_URL) if they were read then."""
    env = emulator_environment(port, settings)
    os.environ.update(env)
    from chalicelib import aws
    from chalicelib.observability import logger

    logger.registered_handler.setStream(sys.stderr)  # type: ignore[attr-defined]
    from chalicelib.container import set_container
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
    aws.reset_clients()
    set_container(None)
    get_settings()  # cached now, from this environment
    return env


def ses_message_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(40))


def ses_headers(message_id: str, mailbox: str, *, spam: str, virus: str, auth: str, at: datetime) -> bytes:
    return (f"Received: from mx.example.net by inbound-smtp.{REGION}.amazonaws.com with SMTP id {message_id} "
            f"for {mailbox}; {format_datetime(at)}\r\n"
            f"X-SES-Spam-Verdict: {spam}\r\nX-SES-Virus-Verdict: {virus}\r\n"
            f"Authentication-Results: amazonses.com; spf={auth}; dkim={auth}; dmarc={auth};\r\n").encode()


def notification(raw: bytes, message_id: str, *, env: dict[str, str], key: str, spam: str, virus: str,
                 auth: str, at: datetime) -> dict[str, Any]:
    parsed = message_from_bytes(raw, policy=policy.default)
    source = str(parsed.get("Return-Path") or parsed.get("From") or "").strip()
    if "<" in source:
        source = source[source.index("<") + 1:source.rindex(">")] if ">" in source else ""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    mailbox = env["PRIVACY_MAILBOX"]
    status = "PASS" if auth == "pass" else "FAIL"
    return {
        "notificationType": "Received",
        "mail": {"timestamp": stamp, "source": source, "messageId": message_id, "destination": [mailbox],
                 "headersTruncated": False,
                 "headers": [{"name": str(k), "value": str(v)} for k, v in parsed.items()],
                 "commonHeaders": {"from": [str(parsed.get("From", ""))], "to": [str(parsed.get("To", mailbox))],
                                   "messageId": str(parsed.get("Message-ID", "")),
                                   "subject": str(parsed.get("Subject", ""))}},
        "receipt": {"timestamp": stamp, "processingTimeMillis": 250, "recipients": [mailbox],
                    "spamVerdict": {"status": spam}, "virusVerdict": {"status": virus},
                    "spfVerdict": {"status": status}, "dkimVerdict": {"status": status},
                    "dmarcVerdict": {"status": status},
                    "action": {"type": "S3", "topicArn": env["INBOUND_TOPIC_ARN"],
                               "bucketName": env["INBOUND_BUCKET"], "objectKey": key}},
    }


def deliver(path: Path, *, port: str, spam: str = "PASS", virus: str = "PASS", auth: str = "pass",
            invoke: bool = True, settings: dict[str, str] | None = None) -> dict[str, Any]:
    import boto3

    env = use_emulator(port, settings)
    raw = path.read_bytes()
    message_id = ses_message_id()
    at = datetime.now(tz=UTC)
    key = f"{env.get('INBOUND_PREFIX', 'inbound/')}{message_id}"
    endpoint = env["AWS_ENDPOINT_URL"]
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    s3.put_object(Bucket=env["INBOUND_BUCKET"], Key=key,
                  Body=ses_headers(message_id, env["PRIVACY_MAILBOX"], spam=spam, virus=virus, auth=auth, at=at)
                  + raw)
    note = notification(raw, message_id, env=env, key=key, spam=spam, virus=virus, auth=auth, at=at)
    message = json.dumps(note)
    sns = boto3.client("sns", region_name=REGION, endpoint_url=endpoint)
    sns.publish(TopicArn=env["INBOUND_TOPIC_ARN"], Message=message, Subject="Amazon SES Email Receipt Notification")
    result: dict[str, Any] = {"message_id": message_id, "bucket": env["INBOUND_BUCKET"], "key": key}
    if invoke:
        from chalice.test import Client

        from app import app

        with Client(app, stage_name="local") as client:
            event = client.events.generate_sns_event(message=message,
                                                     subject="Amazon SES Email Receipt Notification")
            result["ingest"] = client.lambda_.invoke("ingest_inbound_mail", event).payload
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--spam", default="PASS", choices=["PASS", "FAIL", "GRAY"])
    parser.add_argument("--virus", default="PASS", choices=["PASS", "FAIL"])
    parser.add_argument("--auth", default="pass", choices=["pass", "fail"], help="SPF/DKIM/DMARC result")
    parser.add_argument("--no-invoke", action="store_true", help="only store and notify; `make tick` ingests it")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    try:
        port, settings = find_stack(os.environ.get("MOTO_PORT") or None)
    except NoStack as error:
        print(f"mail not delivered: {error}", file=sys.stderr)
        return 1
    started = time.monotonic()
    try:
        with contextlib.redirect_stdout(sys.stderr):  # logs and metrics: stdout is the result
            result = deliver(args.file, port=port, spam=args.spam, virus=args.virus, auth=args.auth,
                             invoke=not args.no_invoke, settings=settings)
    except Exception as error:  # e.g. the stack stopped
        print(f"mail not delivered ({type(error).__name__}: {error}): is the emulator on 127.0.0.1:{port} "
              "running (`make serve`)?", file=sys.stderr)
        return 1
    result["seconds"] = round(time.monotonic() - started, 2)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
