"""The SNS-triggered Lambda that ingests privacy@ mail at once (SES stores the MIME in S3 and notifies SNS).

Registered as a plain Lambda function (`ingest_inbound_mail`), not `on_sns_message`: the topic's name differs per
stage and the subscription is wired in the packaging.  The event is SNS's: Records[].Sns.Message is SES's
notification JSON.  A record that is not an SES notification is logged and skipped (a retry would not help); a
storage or SES failure is raised so that Lambda retries (the scheduled job picks up anything still not ingested).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.observability import count, logger

bp = Blueprint(__name__)


@bp.lambda_function(name="ingest_inbound_mail")
def ingest_inbound_mail(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.container import get_container
    from chalicelib.payloads.ses import InvalidNotificationError, notifications_from_sns_event
    from chalicelib.services.ingest_mail import ingest_notification

    outcomes: list[str] = []
    for parsed in notifications_from_sns_event(event):
        if isinstance(parsed, InvalidNotificationError):
            count("MailEventRejected")
            logger.warning("mail event rejected", extra={"reason": str(parsed)})
            outcomes.append("rejected")
            continue
        if parsed.notification_type != "Received":
            outcomes.append("ignored")
            continue
        outcomes.append(ingest_notification(get_container(), parsed).outcome)
    return {"outcomes": outcomes}
