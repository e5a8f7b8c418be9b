"""Mail to the subject of a request (their address is sealed on the request) and the verification mail, signed by
the controller of the store's policy (`sender`)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.mailer import OutgoingMail
from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import PrivacyRequest
from chalicelib.errors import KeyShreddedError
from chalicelib.observability import logger
from chalicelib.services.privacy_requests.submit import SubmittedRequest
from chalicelib.services.privacy_requests.transitions import NOTICE

if TYPE_CHECKING:
    from chalicelib.mail import templates
    from chalicelib.services.ports import Basics, RightsPorts



def sender(ports: Basics) -> templates.Sender:
    """Who signs the mail, from the store's policy: the controller's display name, its privacy contact and DPO,
    the languages it answers in, and what the law obliges it to keep (the categories anonymised at expiry)."""
    policy = ports.store_policy
    contacts = policy.controller.contacts
    kept = [category for category in policy.categories.values() if category.at_expiry == "anonymise"]
    basis = policy.category("order") or (kept[0] if kept else None)
    days = max(c.retention for c in kept) if kept and basis else None
    from chalicelib.mail import templates  # the mail texts load when a mail is written, not at cold start

    return templates.Sender(name=policy.controller.display_name, privacy=contacts.privacy, dpo=contacts.dpo,
                            site=ports.settings.site_domain, languages=tuple(policy.rights.languages),
                            kept_days=days, kept_basis=basis.legal_basis if days is not None and basis else None)


def request_language(ports: Basics, request: PrivacyRequest) -> str:
    """The language of every mail to the request's subject: the one it remembers (`params["language"]`, set at
    submit) when the store answers in it, else the store's default (a request made before requests remembered it
    too)."""
    return sender(ports).language(request.params.get("language"))


def open_email(ports: RightsPorts, request: PrivacyRequest) -> str | None:
    token = request.sealed.get("email")
    if not token:
        return None
    try:
        return str(ports.vault.cipher_for_reading(request.subject).open_json("email", token))
    except KeyShreddedError:
        return None


def notify_subject(ports: RightsPorts, request: PrivacyRequest, kind: str, **values: Any) -> None:
    email = open_email(ports, request)
    if email is None:
        logger.warning("subject cannot be mailed: no readable address", extra={"request_id": request.request_id})
        return
    signed_by = sender(ports)
    from chalicelib.mail import templates

    subject_line, text = templates.render(kind, request=request, sender=signed_by,
                                          language=signed_by.language(request.params.get("language")), **values)
    ports.mailer.send(OutgoingMail(email, subject_line, text, kind=kind))


def send_verification(ports: RightsPorts, *, email: str, submitted: SubmittedRequest, request_type: str,
                      language: str | None = None) -> str:
    """Mail the single-use verification link of a web request, in `language` when the store answers in it (the
    page's or the browser's), else in the store's default; returns the SES message id."""
    from chalicelib.mail import replies  # the mail texts are loaded when a mail is written, not at cold start

    ack = replies.Acknowledgement(request_type, submitted.request_id, submitted.due_at, submitted.verification_url,
                                  ports.settings.deletion_grace_days, submitted.regime)
    subject_line, text = replies.verification_mail(ack, language=language or "", sender=sender(ports))
    return ports.mailer.send(OutgoingMail(email, subject_line, text, kind="verification"))


def send_extension_notice(ports: RightsPorts, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    if request.extension_notice_sent or not request.extended:
        return request
    notify_subject(ports, request, "extension")
    entry = rules.AuditEntry(at=now, from_status=request.status.value, to_status=request.status.value,
                             actor="system", reason="subject told of the extension by e-mail")
    after = replace(request, extension_notice_sent=True, updated_at=now)
    return ports.privacy_requests.save(request, after, entry, now=now, done_work=[NOTICE])
