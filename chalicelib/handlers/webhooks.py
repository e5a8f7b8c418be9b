"""Storefront webhooks: `POST /webhooks/woocommerce`, `POST /webhooks/paypal`, `POST /webhooks/airwallex` and
`POST /webhooks/bitpay`.

Verify the signature over the raw bytes (401), parse (400, 413 above 1 MiB), record, answer 200 with
`{"status": "accepted"|"duplicate"|"stale"|"ignored"|"ping"}`.  Storage failures answer 503 (the sender retries;
every write is a single conditional write or transaction, so nothing partial is left behind).
"""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import ValidationError

from chalicelib.container import get_container
from chalicelib.handlers.http import api_route, describe_validation, header, json_response, parse_model, raw_body

bp = Blueprint(__name__)

MAX_BODY = 1024 * 1024
ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
CUSTOMER_TOPICS = frozenset({"customer.created", "customer.updated"})
DELETED_TOPICS = {"order.deleted": "order", "customer.deleted": "customer"}
# GET /openapi.json: the payload models by name (imported lazily, as the handlers do) and the answers.
PAYLOADS = "chalicelib.payloads."
WEBHOOK_ANSWERS = (200, 409, 410)
ACKNOWLEDGED = {"type": "object", "required": ["status"], "additionalProperties": False,
                "properties": {"status": {"enum": ["accepted", "duplicate", "stale", "ignored", "ping"]}}}


@api_route(bp, "/webhooks/woocommerce", methods=["POST"],
           content_types=["application/json", "application/x-www-form-urlencoded"], signed="woocommerce",
           body=(f"{PAYLOADS}woocommerce:OrderPayload", f"{PAYLOADS}woocommerce:CustomerPayload",
                 f"{PAYLOADS}woocommerce:DeletedPayload"), responses=WEBHOOK_ANSWERS, returns=ACKNOWLEDGED,
           summary="WooCommerce orders and customers (also its ping when a webhook is saved)")
def woocommerce_webhook() -> Response:
    from chalicelib.payloads.woocommerce import CustomerPayload, DeletedPayload, OrderPayload
    from chalicelib.services import record_woocommerce as service
    from chalicelib.services.marketing_senders import record_checkout_opt_in
    from chalicelib.signatures import woocommerce as signature

    body = raw_body(bp, MAX_BODY)
    signed = header(bp, "X-WC-Webhook-Signature")
    topic = (header(bp, "X-WC-Webhook-Topic") or "").strip().lower()
    if signature.is_ping(body, header(bp, "Content-Type"), signed=bool(signed), has_topic=bool(topic)):
        return json_response(200, {"status": "ping"})
    container = get_container()
    signature.verify(body, signed, container.woocommerce_secret())
    ports = container.webhook_ports
    if topic in ORDER_TOPICS:
        order = parse_model(OrderPayload, body)
        outcome = service.record_order(order, ports).value
        record_checkout_opt_in(container, order)  # the checkout's marketing opt-in, with the order as proof
    elif topic in CUSTOMER_TOPICS:
        outcome = service.record_customer(parse_model(CustomerPayload, body), ports).value
    elif topic == "customer.deleted":  # an account deletion request (services/store_account_deletion.py)
        from chalicelib.services.store_account_deletion import account_deleted

        outcome = account_deleted(container, ports, parse_model(DeletedPayload, body).id).value
    elif topic in DELETED_TOPICS:
        outcome = service.record_deletion(DELETED_TOPICS[topic], parse_model(DeletedPayload, body).id, ports).value
    else:
        outcome = "ignored"
    return json_response(200, {"status": "accepted" if outcome == "suppressed" else outcome})


@api_route(bp, "/webhooks/paypal", methods=["POST"], content_types=["application/json"], signed="paypal",
           body=f"{PAYLOADS}paypal:PaypalEvent", responses=WEBHOOK_ANSWERS, returns=ACKNOWLEDGED,
           summary="PayPal webhook events")
def paypal_webhook() -> Response:
    from chalicelib.payloads.paypal import PaypalEvent
    from chalicelib.services.record_paypal import record_event

    body = raw_body(bp, MAX_BODY)
    container = get_container()
    container.paypal_verifier.verify(bp.current_request.headers, body)
    status = record_event(parse_model(PaypalEvent, body), container.webhook_ports)
    return json_response(200, {"status": "accepted" if status == "suppressed" else status})


# -- Airwallex ----------------------------------------------------------------------------------------------------
@api_route(bp, "/webhooks/airwallex", methods=["POST"], content_types=["application/json"], signed="airwallex",
           body=f"{PAYLOADS}airwallex:AirwallexEvent", responses=WEBHOOK_ANSWERS, returns=ACKNOWLEDGED,
           summary="Airwallex webhook events")
def airwallex_webhook() -> Response:
    from chalicelib.payloads.airwallex import AirwallexEvent
    from chalicelib.services.record_airwallex import record_event
    from chalicelib.signatures import airwallex as signature

    body = raw_body(bp, MAX_BODY)
    container = get_container()
    signature.verify(body, header(bp, "x-timestamp"), header(bp, "x-signature"), container.airwallex_secret(),
                     now=container.clock.now())
    status = record_event(parse_model(AirwallexEvent, body), container.webhook_ports)
    return json_response(200, {"status": "accepted" if status == "suppressed" else status})
# -- end Airwallex ------------------------------------------------------------------------------------------------


# -- BitPay (begin) -----------------------------------------------------------------------------------------------
@api_route(bp, "/webhooks/bitpay", methods=["POST"], content_types=["application/json"], signed="bitpay",
           body=(f"{PAYLOADS}bitpay:IpnInvoice", f"{PAYLOADS}bitpay:IpnExtended"),
           responses=(*WEBHOOK_ANSWERS, 422), returns=ACKNOWLEDGED)
def bitpay_webhook() -> Response:
    """An IPN (standard or extended format) names an invoice; the invoice is fetched from BitPay's API and what the
    API answers is recorded (422 when BitPay does not confirm it, 503 with Retry-After when BitPay cannot be asked).
    With BITPAY_WEBHOOK_TOKEN configured, `x-signature` must match first (401)."""
    from chalicelib.errors import InvalidInputError
    from chalicelib.payloads.bitpay import Ipn, ipn_json
    from chalicelib.payloads.strict_json import JsonRejected
    from chalicelib.services.record_bitpay import record_ipn
    from chalicelib.signatures import bitpay as signature

    body = raw_body(bp, MAX_BODY)
    container = get_container()
    token = container.bitpay_webhook_token()
    if token:
        signature.verify_signature(body, header(bp, signature.SIGNATURE_HEADER), token)
    try:
        data = ipn_json(body) if body else None
    except JsonRejected as error:
        raise InvalidInputError(str(error), field="body") from None
    if not isinstance(data, dict):
        raise InvalidInputError("body must be a JSON object", field="body")
    try:
        ipn = Ipn.from_json(data)
    except ValidationError as error:
        field, message = describe_validation(error)
        raise InvalidInputError(message, field=field) from None
    status = record_ipn(ipn, container.bitpay_ports)
    return json_response(200, {"status": "accepted" if status == "suppressed" else status})
# -- BitPay (end) -------------------------------------------------------------------------------------------------
