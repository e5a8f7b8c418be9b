"""The logger's safety net: personal data shaped values never reach the logs, even in exception text."""

import json
from typing import Any

import pytest

from chalicelib.observability import logger, redact


@pytest.mark.parametrize(
    "text",
    [
        "jana.mueller@example.org",
        "jana.mueller%40example.org",
        "203.0.113.45",
        "2001:db8:85a3::8a2e:370:7334",
        "+49 30 1234567",
        "(555) 123-4567",
    ],
)
def test_redact_scrubs_personal_identifiers(text: str) -> None:
    assert text not in redact(f"value was {text}.")


def test_redact_keeps_ordinary_identifiers() -> None:
    line = "order 1234 status processing request 7f3a subject 9c1e total 54.90 at 2024-11-05T14:04:10Z"
    assert redact(line) == line


def test_logger_output_is_redacted_even_for_exceptions(log_output: Any) -> None:
    try:
        raise ValueError("bad input: {'email': 'jana.mueller@example.org', 'ip': '203.0.113.45'}")
    except ValueError:
        logger.exception("validation failed", extra={"note": "+49 30 1234567"})
    out = log_output()
    assert json.loads(out.strip().splitlines()[-1])["message"] == "validation failed"
    for leaked in ("jana.mueller@example.org", "203.0.113.45", "+49 30 1234567"):
        assert leaked not in out


def test_logger_timestamps_are_not_mangled(log_output: Any) -> None:
    logger.info("hello")
    record = json.loads(log_output().strip())
    assert record["timestamp"][:4].isdigit() and "[" not in record["timestamp"]


# -- Airwallex ----------------------------------------------------------------------------------------------------
def test_recording_airwallex_events_logs_nothing_personal(log_output: Any) -> None:
    from chalicelib.payloads.airwallex import AirwallexEvent
    from chalicelib.services.record_airwallex import record_event
    from tests.fakes.webhooks import AW, load, memory

    world = memory()
    for name in ("payment_intent.succeeded.json", "refund.succeeded.json", "payment_dispute.requires_response.json",
                 "envelope_example.json"):
        record_event(AirwallexEvent.model_validate(load(AW / name)), world.ports)
    out = log_output()
    assert "airwallex event" in out and "airwallex event ignored" in out
    for leaked in ("jana.mueller@example.org", "Jana", "Müller", "M\\u00fcller", "Hauptstra", "+49 30 1234567",
                   "1234567", "4444", "53651045", "Nachbarn", "int_hkpdcpcvbgh8mwk1234", "cus_hkpdk7f98gh8ir1234"):
        assert leaked not in out, leaked
# -- end Airwallex ------------------------------------------------------------------------------------------------


# -- corrections and account deletion by the store (issue 13) --------------------------------------------------------
def test_a_correction_and_a_store_account_deletion_log_nothing_personal(container: Any, log_output: Any) -> None:
    """A correction's new values (names, an address, a phone number, a new e-mail address) and the deleted account's
    data never reach the logs, whatever path the request takes (no store configured: operator tasks)."""
    from chalicelib.payloads.woocommerce import CustomerPayload, OrderPayload
    from chalicelib.services import privacy_requests as service
    from chalicelib.services.record_woocommerce import record_customer, record_order
    from chalicelib.services.store_account_deletion import account_deleted
    from tests.conftest import NOW, load_event

    ports = container.webhook_ports
    record_customer(CustomerPayload.model_validate(load_event("woocommerce/customer.created.payload.json")), ports)
    record_order(OrderPayload.model_validate(load_event("woocommerce/order.created.payload.json")), ports)
    changes = {"email": "jana.neu@example.org", "last_name": "Korrigiert-Schmidt",
               "billing": {"address_1": "Seitenweg 12", "phone": "+49 331 7654321"}}
    submitted = service.submit_request(container, email="jana.mueller@example.org", request_type="correction",
                                       channel="account", received_at=NOW, needs_verification=False,
                                       customer_id="57", changes=changes)
    service.fulfil_safely(container, service.get_request(container, submitted.request_id, now=NOW), now=NOW)
    account_deleted(container, ports, 57)
    service.run_scheduled_request_work(container, now=NOW + 60, dry_run=False)
    out = log_output()
    assert "privacy request moved" in out and "store account deletion" in out
    for leaked in ("jana.neu@example.org", "Korrigiert", "Seitenweg", "7654321", "jana.mueller@example.org", "Müller",
                   "M\\u00fcller", "Hauptstra", "+49 30 1234567", "10115"):
        assert leaked not in out, leaked
