"""The SNS-triggered ingest Lambda through chalice.test.Client."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import EVENTS, load_event
from tests.fakes.inbound_mail import notification, sns_event, store_raw
from tests.fakes.subjects import sent_mail


def test_sns_event_is_ingested_and_answered(client: Any, container: Any) -> None:
    key = store_raw(container, "fn0000000001", (EVENTS / "mail" / "plain-deletion-en.eml").read_bytes())
    event = client.events.generate_sns_event(
        json.dumps(notification("fn0000000001", container.settings.inbound_bucket, key)),
        subject="Amazon SES Email Receipt Notification")
    response = client.lambda_.invoke("ingest_inbound_mail", event)
    assert response.payload == {"outcomes": ["answered"]}
    assert len(sent_mail()) == 1
    again = client.lambda_.invoke("ingest_inbound_mail", event)
    assert again.payload == {"outcomes": ["duplicate"]}
    assert len(sent_mail()) == 1


def test_real_sns_action_fixture_is_accepted(client: Any) -> None:
    response = client.lambda_.invoke("ingest_inbound_mail", load_event("ses/sns-action.lambda-event.json"))
    assert response.payload == {"outcomes": ["answered"]}


def test_records_that_are_not_ses_notifications_are_rejected_without_failing(client: Any) -> None:
    event = {"Records": [{"Sns": {"Message": "not json"}}, {"Sns": {"Message": json.dumps({"mail": {}})}},
                         {"nothing": 1}]}
    response = client.lambda_.invoke("ingest_inbound_mail", event)
    assert response.payload == {"outcomes": ["rejected", "rejected", "rejected"]}
    assert client.lambda_.invoke("ingest_inbound_mail", {"no": "records"}).payload == {"outcomes": ["rejected"]}
    assert sent_mail() == []


def test_other_notification_types_are_ignored(client: Any, container: Any) -> None:
    data = notification("fn0000000002", container.settings.inbound_bucket, "inbound/fn0000000002")
    data["notificationType"] = "Bounce"
    assert client.lambda_.invoke("ingest_inbound_mail", sns_event(data)).payload == {"outcomes": ["ignored"]}
