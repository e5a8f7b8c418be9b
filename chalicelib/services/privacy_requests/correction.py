"""Use case: a correction (GDPR Art. 16) that corrects.

A correction request made with the changes it asks for (`payloads.corrections`, sealed on the request under the
subject's key) is carried out in three steps, its state in `result["correction"]` (field names, counts and
statuses only):

1. `local`: the customer profile and the orders this backend holds for the subject (those still carrying personal
   data; with `order_ids`, only those) are corrected and sealed again (`storage.corrections`: one guarded
   transaction per record, conditioned on the record being unchanged since it was read).  An order named in
   `order_ids` that is not held with the subject's personal data (anonymised, or not theirs: the same answer) cannot
   be corrected: an operator task.  The audit entry names the fields changed, never a value.
2. `store`: the change is relayed to the store (`PUT /wp-json/wc/v3/customers/{id}`, adapters/woocommerce_api):
   a 5xx, 429 or timeout is retried by the scheduled job (the request stays in progress with its `fulfil` work
   item, 15 minutes doubling to a day, at most STORE_ATTEMPTS), a 4xx, the last failed attempt, a store without REST
   API keys, or a subject without a WooCommerce customer id become operator tasks.
3. the subject is told by mail which fields were corrected and which are left to a person (names only); without
   operator tasks the request is completed, otherwise it waits in progress for `cli complete ID --note`, the
   tasks in its audit trail (`cli show`).

A change of the e-mail address is always an operator task: the address is the subject's id (HMAC of it), so
changing it moves every record to another subject.  A correction without structured changes (classified from mail)
is handed to the operator as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.mailer import OutgoingMail
from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import PrivacyRequest, Status
from chalicelib.errors import ConflictError, KeyShreddedError
from chalicelib.mail.correction import correction_answer, email_task, order_task, store_task
from chalicelib.observability import count, logger
from chalicelib.payloads.corrections import changed_fields
from chalicelib.services.privacy_requests.notices import open_email, request_language, sender
from chalicelib.services.privacy_requests.submit import CHANGES
from chalicelib.services.privacy_requests.transitions import FULFIL, move
from chalicelib.storage.orders import CUSTOMER, ORDER
from chalicelib.storage.privacy_requests import WorkItem

if TYPE_CHECKING:
    from chalicelib.crypto.envelope import SubjectCipher
    from chalicelib.services.ports import RightsPorts
    from chalicelib.storage.subject_data import SubjectRecord

STATE = "correction"
STORE_ATTEMPTS = 8
FIRST_RETRY = 15 * 60
LONGEST_RETRY = 24 * 3600
NAME_FIELDS = ("first_name", "last_name")
ADDRESSES = ("billing", "shipping")


def fulfil_correction(ports: RightsPorts, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    """Carry a correction forward (see the module); a request without changes is handed to the operator."""
    if request.status not in (Status.PENDING, Status.IN_PROGRESS):
        return request
    changes = _open_changes(ports, request)
    if changes is None:
        if request.status is not Status.PENDING:
            return request
        return move(ports, request, Status.IN_PROGRESS, now=now, actor="system",
                    reason="correction handed to the operator (the store holds the profile)", done_work=[FULFIL])
    state: dict[str, Any] = dict(request.result.get(STATE) or {})
    if state.get("answered"):
        return request
    fields = changed_fields(changes)
    if request.status is Status.PENDING:
        request = move(ports, request, Status.IN_PROGRESS, now=now, actor="system", reason="correction started",
                       details={"fields": fields})
    if "local" not in state:
        state["local"] = _correct_records(ports, request, changes, now=now)
        request = _note(ports, request, state, now=now, reason=_local_reason(state["local"]),
                        details={"fields_changed": state["local"]["fields"], "profiles": state["local"]["profiles"],
                                 "orders": len(state["local"]["orders"])})
    if state.get("store") in (None, "retry"):
        request, state, waiting = _relay(ports, request, changes, state, now=now)
        if waiting:
            return request
    return _answer(ports, request, changes, state, now=now)


def _open_changes(ports: RightsPorts, request: PrivacyRequest) -> dict[str, Any] | None:
    token = request.sealed.get(CHANGES)
    if not token:
        return None
    try:
        value = ports.vault.cipher_for_reading(request.subject).open_json(CHANGES, token)
    except KeyShreddedError:
        return None
    return dict(value) if isinstance(value, dict) else None


def _note(ports: RightsPorts, request: PrivacyRequest, state: dict[str, Any], *, now: int, reason: str,
          details: dict[str, Any], add_work: list[WorkItem] | None = None,
          done_work: list[str] | None = None) -> PrivacyRequest:
    after, entry = rules.note(request, at=now, actor="system", reason=reason, details=details,
                              result={**request.result, STATE: dict(state)})
    return ports.privacy_requests.save(request, after, entry, now=now, add_work=add_work or [],
                                       done_work=done_work or [])


# -- 1. this backend's records ------------------------------------------------------------------------------------
def _correct_records(ports: RightsPorts, request: PrivacyRequest, changes: dict[str, Any], *,
                     now: int) -> dict[str, Any]:
    subject = request.subject
    names = {k: changes[k] for k in NAME_FIELDS if k in changes}
    addresses = {k: dict(changes[k]) for k in ADDRESSES if k in changes}
    wanted = request.params.get("order_ids")
    wanted_ids = {int(order) for order in wanted} if isinstance(wanted, list) else None
    records = [r for r in ports.subject_data.records(subject, now=now) if r.kind in (CUSTOMER, ORDER)]
    try:
        cipher = ports.vault.cipher_for_reading(subject)
    except KeyShreddedError:
        records, cipher = [], None
    profiles: list[int] = []
    orders: list[int] = []
    for record in records:
        ident = record.data.get("id")
        if not isinstance(ident, int) or isinstance(ident, bool) or cipher is None:
            continue
        if record.kind == CUSTOMER:
            profiles.append(ident)
            personal, data = _profile_change(cipher, record, names, addresses)
        else:
            if not addresses or (wanted_ids is not None and ident not in wanted_ids):
                continue
            orders.append(ident)
            personal, data = _address_change(cipher, record, addresses)
        if personal and not ports.corrections.correct(subject, record, personal=personal, data=data, now=now):
            raise ConflictError("a record changed while it was corrected; the scheduled job tries again")
    touched = (NAME_FIELDS + ADDRESSES) if profiles else ADDRESSES if orders else ()
    fields = [name for name in changed_fields(changes) if name.split(".")[0] in touched]
    missing = sorted(wanted_ids - set(orders)) if wanted_ids is not None and addresses else []
    count("PrivacyCorrectionRecords", len(profiles) + len(orders))
    return {"profiles": len(profiles), "customer_ids": sorted(profiles), "orders": sorted(orders),
            "fields": fields, "orders_not_held": missing}


def _opened(cipher: SubjectCipher, record: SubjectRecord, name: str) -> dict[str, Any]:
    token = record.sealed.get(name)
    value = cipher.open_json(name, token) if token else {}
    return dict(value) if isinstance(value, dict) else {}


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in {**old, **new}.items() if v not in ("", None)}


def _address_change(cipher: SubjectCipher, record: SubjectRecord,
                    addresses: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    personal = {name: _merged(_opened(cipher, record, name), parts) for name, parts in addresses.items()}
    billing = addresses.get("billing", {})
    data = {f"billing_{part}": billing[part] for part in ("country", "state") if part in billing}
    return personal, data


def _profile_change(cipher: SubjectCipher, record: SubjectRecord, names: dict[str, Any],
                    addresses: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    personal, data = _address_change(cipher, record, addresses)
    if names:
        personal["name"] = _merged(_opened(cipher, record, "name"), names)
    return personal, data


def _local_reason(local: dict[str, Any]) -> str:
    return (f"corrected in this backend: {local['profiles']} customer profile(s), {len(local['orders'])} order(s)"
            if local["fields"] else "nothing to correct in this backend's records")


# -- 2. the store ---------------------------------------------------------------------------------------------------
def store_body(changes: dict[str, Any]) -> dict[str, Any]:
    """The body of `PUT /wp-json/wc/v3/customers/{id}` (WooCommerce's customer schema), without the e-mail."""
    return {k: v for k, v in changes.items() if k in NAME_FIELDS + ADDRESSES}


def _customer_ids(request: PrivacyRequest, state: dict[str, Any]) -> list[int]:
    ids = {int(i) for i in state["local"].get("customer_ids", [])}
    if request.customer_id and request.customer_id.isascii() and request.customer_id.isdigit():
        ids.add(int(request.customer_id))
    return sorted(ids)


def _relay(ports: RightsPorts, request: PrivacyRequest, changes: dict[str, Any], state: dict[str, Any], *,
           now: int) -> tuple[PrivacyRequest, dict[str, Any], bool]:
    """Relay the change to the store: (request, state, whether it waits for a retry)."""
    body = store_body(changes)
    if not body:
        state["store"] = "nothing"
        return request, state, False
    customers = _customer_ids(request, state)
    if not customers:
        state["store"] = "no_customer"
        return request, state, False
    outcomes = [ports.store_api.update_customer(customer, body) for customer in customers]
    worst = next((o for o in outcomes if o.outcome == "not_configured"), None) or next(
        (o for o in outcomes if o.outcome == "rejected"), None) or next(
        (o for o in outcomes if o.outcome == "retry"), None)
    if worst is None:
        state["store"] = "updated"
        count("PrivacyCorrectionRelayed")
        return request, state, False
    if worst.outcome == "retry":
        state["store_attempts"] = int(state.get("store_attempts", 0)) + 1
        if state["store_attempts"] < STORE_ATTEMPTS:
            state["store"] = "retry"
            delay = min(FIRST_RETRY * 2 ** (state["store_attempts"] - 1), LONGEST_RETRY)
            details = {"status": worst.status, "attempt": state["store_attempts"], "next_at": now + delay}
            request = _note(ports, request, state, now=now, reason="store not reached: retried later",
                            details=details, add_work=[WorkItem(FULFIL, request.request_id, now + delay)])
            logger.info("correction relay deferred", extra={"request_id": request.request_id,
                                                             "status": worst.status})
            return request, state, True
        state["store"] = "unreachable"
    else:
        state["store"] = worst.outcome
    state["store_status"] = worst.status
    state["store_code"] = worst.code
    return request, state, False


# -- 3. the answer --------------------------------------------------------------------------------------------------
def _tasks(changes: dict[str, Any], state: dict[str, Any], language: str = "en") -> list[str]:
    """What is left to a person, as the subject reads it (field names only, in the mail's language)."""
    tasks: list[str] = []
    if "email" in changes:
        tasks.append(email_task(language))
    store = state.get("store")
    if store in ("no_customer", "not_configured", "rejected", "unreachable"):
        tasks.append(store_task(str(store), changed_fields(store_body(changes)), language))
    address_fields = [name for name in changed_fields(changes) if name.split(".")[0] in ADDRESSES]
    for order in state["local"].get("orders_not_held", []):
        tasks.append(order_task(order, address_fields, language))
    return tasks


def _operator_tasks(changes: dict[str, Any], state: dict[str, Any]) -> list[str]:
    """The same tasks for the operator (the audit trail, `cli show`): field names, order ids, statuses."""
    tasks: list[str] = []
    if "email" in changes:
        tasks.append("email: change the address (the subject id changes with it)")
    relayable = ",".join(changed_fields(store_body(changes)))
    store = state.get("store")
    if store in ("no_customer", "not_configured", "rejected", "unreachable"):
        code = f" {state['store_code']}" if state.get("store_code") else ""
        detail = f" (HTTP {state.get('store_status')}{code})" if store in ("rejected", "unreachable") else ""
        tasks.append(f"store {store}{detail}: correct {relayable} in WooCommerce")
    for order in state["local"].get("orders_not_held", []):
        tasks.append(f"order {order}: anonymised or not the subject's, cannot be corrected")
    return tasks


def _answer(ports: RightsPorts, request: PrivacyRequest, changes: dict[str, Any], state: dict[str, Any], *,
            now: int) -> PrivacyRequest:
    language = request_language(ports, request)
    tasks = _tasks(changes, state, language)
    operator = _operator_tasks(changes, state)
    relayed = state.get("store") == "updated"
    corrected = sorted(set(state["local"]["fields"]) | (set(changed_fields(store_body(changes))) if relayed
                                                        else set()))
    email = open_email(ports, request)
    mail = "no_address"
    if email:
        subject_line, text = correction_answer(request_id=request.request_id, corrected=corrected, left=tasks,
                                               sender=sender(ports), language=language)
        ports.mailer.send(OutgoingMail(email, subject_line, text, kind="correction_answer"))
        mail = "sent"
    state.update(answered=True, corrected=corrected, tasks=operator, mail=mail)
    details = {"fields_corrected": corrected, "store": state.get("store"), "tasks": operator}
    count("PrivacyCorrectionAnswered")
    if not operator:
        return move(ports, request, Status.COMPLETED, now=now, actor="system",
                    reason="correction made: " + ", ".join(corrected), done_work=[FULFIL], details=details,
                    result={**request.result, STATE: state})
    return _note(ports, request, state, now=now, details=details, done_work=[FULFIL],
                 reason="correction: left to a person: " + "; ".join(operator))
