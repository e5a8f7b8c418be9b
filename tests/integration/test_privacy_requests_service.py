"""Service-level tests of the request lifecycle.  The lifecycle runs against the in-memory repository (fake) and
against DynamoDB; export and erasure need the table and bucket (moto)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.domain.privacy_requests import Status
from chalicelib.domain.retention import DAY
from chalicelib.errors import ConflictError, NotFoundError
from chalicelib.services import privacy_requests as service
from chalicelib.services.privacy_requests import fulfilment as fulfil_module
from chalicelib.storage.privacy_requests import InvalidLinkError
from tests.conftest import NOW
from tests.fakes.faults import refusing
from tests.fakes.privacy_requests import InMemoryRequestRepository
from tests.fakes.subjects import EMAIL, mail_text, read_object, seed_subject, sent_mail


@pytest.fixture(params=["fake", "dynamodb"])
def rights(request: pytest.FixtureRequest, container: Any) -> Any:
    """The container, with the request repository replaced by its in-memory twin for the `fake` run."""
    if request.param == "fake":
        container.override(privacy_requests=InMemoryRequestRepository(container.policy))
    return container


def token_of(url: str | None) -> str:
    assert url
    return parse_qs(urlparse(url).query)["token"][0]


def submit(container: Any, kind: str = "access", *, verify: bool = True, address: str = EMAIL,
           channel: str = "web") -> service.SubmittedRequest:
    return service.submit_request(container, email=address, request_type=kind, channel=channel, received_at=NOW,
                                  needs_verification=verify, customer_id="57" if channel == "account" else None)


def statuses(container: Any, request_id: str) -> list[str]:
    return [entry.to_status for entry in service.audit_trail(container, request_id, now=container.now())]


# -- submission, verification ----------------------------------------------------------------------------------------
def test_web_request_starts_unverified_with_a_link_and_its_deadline(rights: Any) -> None:
    submitted = submit(rights)
    assert submitted.status == "unverified" and submitted.due_at == NOW + 30 * DAY  # strictest: a month
    assert submitted.verification_url and submitted.verification_url.startswith(
        "http://127.0.0.1:8000/privacy-requests/verify?token=")
    assert statuses(rights, submitted.request_id) == ["unverified"]


def test_account_request_needs_no_verification(rights: Any) -> None:
    submitted = submit(rights, verify=False, channel="account")
    assert submitted.status == "pending" and submitted.verification_url is None


def test_deadline_follows_the_subjects_billing_country(rights: Any) -> None:
    from tests.helpers import store_policy

    rights.override(store_policy=store_policy("jetkrate"))  # serves the CCPA (jetcards, the default, does not)
    seed_subject(rights, "ca@example.com", country="US", state="CA", customer_id="70")
    seed_subject(rights, "de@example.com", country="DE", customer_id="71")
    ca = service.get_request(rights, submit(rights, address="ca@example.com").request_id, now=NOW)
    de = service.get_request(rights, submit(rights, address="de@example.com").request_id, now=NOW)
    assert (ca.regime.value, ca.due_at) == ("ccpa", NOW + 45 * DAY)
    assert (de.regime.value, de.due_at) == ("gdpr", NOW + 30 * DAY)


def test_token_is_stored_hashed_only(container: Any, table_items: Any) -> None:
    submitted = submit(container)
    token = token_of(submitted.verification_url)
    dump = json.dumps(table_items(), default=repr)
    assert token not in dump and EMAIL not in dump
    assert any(item["pk"].startswith("TOKEN#") and item["expires_at"] == NOW + DAY for item in table_items())


def test_verification_is_single_use_and_starts_fulfilment(rights: Any) -> None:
    submitted = submit(rights, "correction")
    request = service.verify_request(rights, token=token_of(submitted.verification_url), now=NOW + 60)
    assert request.status is Status.IN_PROGRESS  # a correction becomes an operator task
    assert statuses(rights, submitted.request_id) == ["unverified", "pending", "in_progress"]
    with pytest.raises(InvalidLinkError):
        service.verify_request(rights, token=token_of(submitted.verification_url), now=NOW + 120)


def test_verification_link_expires_after_24_hours(rights: Any) -> None:
    submitted = submit(rights)
    with pytest.raises(InvalidLinkError):
        service.verify_request(rights, token=token_of(submitted.verification_url), now=NOW + DAY)
    assert service.get_request(rights, submitted.request_id, now=NOW + DAY).status is Status.UNVERIFIED


@pytest.mark.parametrize("token", ["", "nope", "x" * 500])
def test_unknown_tokens_are_refused(rights: Any, token: str) -> None:
    with pytest.raises(InvalidLinkError):
        service.verify_request(rights, token=token, now=NOW)


def test_unverified_request_expires_after_seven_days(rights: Any) -> None:
    submitted = submit(rights)
    assert service.run_scheduled_request_work(rights, now=NOW + 7 * DAY - 1, dry_run=False)["expired"] == 0
    assert service.run_scheduled_request_work(rights, now=NOW + 7 * DAY, dry_run=False)["expired"] == 1
    request = service.get_request(rights, submitted.request_id, now=NOW + 7 * DAY)
    assert request.status is Status.EXPIRED and request.closed_at == NOW + 7 * DAY
    assert service.run_scheduled_request_work(rights, now=NOW + 8 * DAY, dry_run=False)["expired"] == 0


def test_rate_limits_per_email_and_per_ip(rights: Any) -> None:
    from chalicelib.errors import RateLimitedError
    from chalicelib.services import request_intake as intake

    def queued(email: str, at: int, n: int) -> str:
        body = json.dumps({"v": 1, "email": email, "type": "access", "received_at": at})
        return intake.process_intake(rights, f"message-{email}-{at}-{n}", body)

    outcomes = [queued("Jana.Mueller@Example.org" if n % 2 else EMAIL, NOW, n)
                for n in range(intake.EMAIL_LIMIT_PER_DAY + 1)]
    assert outcomes == ["sent"] * intake.EMAIL_LIMIT_PER_DAY + ["rate_limited"]  # one address, however written
    assert queued(EMAIL, NOW + DAY, 0) == "sent"  # a new day
    for _ in range(intake.IP_LIMIT_PER_HOUR):
        intake.limit_ip(rights, "198.51.100.9", now=NOW)
    with pytest.raises(RateLimitedError):
        intake.limit_ip(rights, "198.51.100.9", now=NOW)
    intake.limit_ip(rights, "198.51.100.10", now=NOW)  # another address


# -- access ------------------------------------------------------------------------------------------------------
def test_guest_access_request_ends_with_an_emailed_download_link(container: Any) -> None:
    seed_subject(container)
    submitted = submit(container)
    request = service.verify_request(container, token=token_of(submitted.verification_url), now=NOW + 60)
    assert request.status is Status.COMPLETED and request.result["export"]["records"] >= 9
    assert statuses(container, request.request_id) == ["unverified", "pending", "in_progress", "completed"]
    mail = [m for m in sent_mail() if m["Subject"] == "Your data export is ready"]
    assert len(mail) == 1 and mail[0]["To"] == EMAIL
    link = next(line for line in mail_text(mail[0]).splitlines() if "/privacy-requests/download?token=" in line)
    url = service.download_by_token(container, token=token_of(link.strip()), now=NOW + DAY)
    assert "X-Amz-Expires=900" in url and request.result["export"]["json_key"] in url
    with pytest.raises(InvalidLinkError):  # the export (and the link) live 7 days
        service.download_by_token(container, token=token_of(link.strip()), now=NOW + 60 + 7 * DAY)


def test_large_export_is_left_to_the_scheduled_job(container: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fulfil_module, "INLINE_EXPORT_ITEMS", 5)
    seed_subject(container)
    submitted = submit(container, verify=False, channel="account")
    request = service.fulfil_safely(container, service.get_request(container, submitted.request_id, now=NOW),
                                    now=NOW)
    assert request.status is Status.PENDING
    assert service.run_scheduled_request_work(container, now=NOW + 900, dry_run=False)["fulfilled"] == 1
    done = service.get_request(container, submitted.request_id, now=NOW + 900)
    assert done.status is Status.COMPLETED
    document = json.loads(read_object(container, done.result["export"]["json_key"]))
    assert any(r["kind"] == "request" and r["data"]["request_id"] == done.request_id for r in document["records"])


def test_failed_inline_export_is_retried_by_the_scheduled_job(container: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.services import export_subject as module

    submitted = submit(container, verify=False, channel="account")
    request = service.get_request(container, submitted.request_id, now=NOW)
    with monkeypatch.context() as patch:
        patch.setattr(module, "to_record", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
        assert service.fulfil_safely(container, request, now=NOW).status is Status.IN_PROGRESS
    service.run_scheduled_request_work(container, now=NOW + 900, dry_run=False)
    assert service.get_request(container, submitted.request_id, now=NOW + 900).status is Status.COMPLETED


# -- deletion ----------------------------------------------------------------------------------------------------
def test_deletion_waits_for_its_grace_period_then_runs(container: Any) -> None:
    seed_subject(container)
    submitted = submit(container, "deletion", verify=False, channel="account")
    scheduled = service.fulfil_safely(container, service.get_request(container, submitted.request_id, now=NOW),
                                      now=NOW)
    assert scheduled.status is Status.SCHEDULED and scheduled.execute_after == NOW + 7 * DAY
    assert service.run_scheduled_request_work(container, now=NOW + 7 * DAY - 1, dry_run=False)["deletions"] == 0
    assert service.run_scheduled_request_work(container, now=NOW + 7 * DAY, dry_run=False)["deletions"] == 1
    done = service.get_request(container, submitted.request_id, now=NOW + 7 * DAY)
    assert done.status is Status.COMPLETED and done.result["receipt"]["key_destroyed"]
    assert statuses(container, done.request_id) == ["pending", "scheduled", "in_progress", "completed"]


def test_deletion_cancelled_in_the_grace_period_never_runs(container: Any) -> None:
    subject = seed_subject(container)
    submitted = submit(container, "deletion", verify=False, channel="account")
    service.fulfil_safely(container, service.get_request(container, submitted.request_id, now=NOW), now=NOW)
    cancelled = service.cancel_deletion(container, customer_id="57", request_id=submitted.request_id,
                                        actor="customer:57", now=NOW + DAY)
    assert cancelled.status is Status.CANCELLED
    assert service.run_scheduled_request_work(container, now=NOW + 8 * DAY, dry_run=False)["deletions"] == 0
    assert container.vault.cipher_for_reading(subject)  # nothing was erased
    with pytest.raises(ConflictError):
        service.cancel_deletion(container, customer_id="57", request_id=submitted.request_id, actor="c", now=NOW)


def test_deletion_runs_at_once_without_grace_period(container: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = container.settings.model_copy(update={"deletion_grace_days": 0})
    monkeypatch.setattr(container, "settings", settings)
    seed_subject(container)
    submitted = submit(container, "deletion", verify=False, channel="account")
    done = service.fulfil_safely(container, service.get_request(container, submitted.request_id, now=NOW), now=NOW)
    assert done.status is Status.COMPLETED


def test_another_accounts_request_is_not_found(rights: Any) -> None:
    submitted = submit(rights, verify=False, channel="account")
    assert service.own_request(rights, customer_id="57", request_id=submitted.request_id, now=NOW)
    for request_id in (submitted.request_id, "unknown", "../../x", ""):
        with pytest.raises(NotFoundError):  # another account, even with the same e-mail address
            service.own_request(rights, customer_id="58", request_id=request_id, now=NOW)


def test_guest_requests_of_the_same_address_are_not_the_accounts(rights: Any) -> None:
    guest = submit(rights, verify=False, channel="web")
    with pytest.raises(NotFoundError):
        service.own_request(rights, customer_id="57", request_id=guest.request_id, now=NOW)
    assert service.account_requests(rights, customer_id="57", now=NOW) == []


# -- opt-out, correction, extension, deny ----------------------------------------------------------------------------
def test_opt_out_turns_marketing_off_at_once_and_is_recorded(container: Any) -> None:
    from chalicelib.services.marketing import get_marketing_preference, set_marketing_preference

    subject = container.subject_for_email(EMAIL)
    set_marketing_preference(container, subject=subject, customer_id="57", email_marketing=True, source="account",
                             at=NOW - DAY)
    submitted = submit(container, "opt_out", verify=False, channel="account")
    done = service.fulfil_safely(container, service.get_request(container, submitted.request_id, now=NOW), now=NOW)
    assert done.status is Status.COMPLETED and done.result["marketing"] is False
    assert get_marketing_preference(container, subject) is False


def test_correction_is_completed_by_the_operator_with_a_note(rights: Any) -> None:
    submitted = submit(rights, "correction", verify=False, channel="account")
    with pytest.raises(Exception, match="note"):
        service.complete_correction(rights, request_id=submitted.request_id, note=" ", actor="operator:o", now=NOW)
    done = service.complete_correction(rights, request_id=submitted.request_id, note="address fixed in the store",
                                       actor="operator:o", now=NOW + DAY)
    assert done.status is Status.COMPLETED
    trail = service.audit_trail(rights, submitted.request_id, now=NOW + DAY)
    assert trail[-1].actor == "operator:o" and "address fixed" in trail[-1].reason


def test_only_corrections_are_completed_by_hand(rights: Any) -> None:
    submitted = submit(rights, "access", verify=False, channel="account")
    with pytest.raises(ConflictError):
        service.complete_correction(rights, request_id=submitted.request_id, note="x", actor="o", now=NOW)


def test_extension_once_with_notice_to_the_subject(container: Any) -> None:
    submitted = submit(container, "correction", verify=False, channel="account")
    extended = service.extend_request(container, request_id=submitted.request_id, reason="needs store records",
                                      actor="operator:o", now=NOW + DAY)
    assert extended.extended and extended.due_at == NOW + 90 * DAY and extended.extension_notice_sent
    notice = [m for m in sent_mail() if m["Subject"] == "We need more time for your privacy request"]
    assert len(notice) == 1 and "needs store records" in mail_text(notice[0])
    with pytest.raises(ConflictError):
        service.extend_request(container, request_id=submitted.request_id, reason="again", actor="o", now=NOW)


def test_extension_notice_is_retried_by_the_scheduled_job(container: Any) -> None:
    from chalicelib import aws

    submitted = submit(container, "correction", verify=False, channel="account")
    with refusing(aws.ses(), "SendRawEmail", code="ServiceUnavailable"):
        extended = service.extend_request(container, request_id=submitted.request_id, reason="r", actor="o",
                                          now=NOW)
    assert not extended.extension_notice_sent
    assert service.run_scheduled_request_work(container, now=NOW + 900, dry_run=False)["notices"] == 1
    assert service.get_request(container, submitted.request_id, now=NOW).extension_notice_sent


def test_deny_needs_a_reason_and_closes(rights: Any) -> None:
    submitted = submit(rights, "access", verify=False, channel="account")
    denied = service.deny_request(rights, request_id=submitted.request_id, reason="identity not confirmed",
                                  actor="operator:o", now=NOW)
    assert denied.status is Status.DENIED and not rights.privacy_requests.open_requests(now=NOW)


# -- digest ----------------------------------------------------------------------------------------------------
def test_operator_digest_once_a_day_without_personal_data(container: Any) -> None:
    submitted = submit(container, "correction", verify=False, channel="account")
    service.fulfil_safely(container, service.get_request(container, submitted.request_id, now=NOW), now=NOW)
    assert service.run_scheduled_request_work(container, now=NOW, dry_run=False)["digest"] == 0  # 30 days left
    soon = NOW + 25 * DAY
    assert service.run_scheduled_request_work(container, now=soon, dry_run=True)["digest"] == 1
    assert not [m for m in sent_mail() if m["To"] == container.settings.operator_email]
    assert service.run_scheduled_request_work(container, now=soon, dry_run=False)["digest"] == 1
    assert service.run_scheduled_request_work(container, now=soon + 900, dry_run=False)["digest"] == 0
    digests = [m for m in sent_mail() if m["To"] == container.settings.operator_email]
    assert len(digests) == 1
    text = mail_text(digests[0])
    assert submitted.request_id in text and "5 days left" in text and EMAIL not in text


def test_dry_run_only_counts(container: Any) -> None:
    submit(container)
    counts = service.run_scheduled_request_work(container, now=NOW + 8 * DAY, dry_run=True)
    assert counts["expired"] == 1
    assert service.run_scheduled_request_work(container, now=NOW + 8 * DAY, dry_run=True)["expired"] == 1


def test_mail_goes_through_the_mailer_port(container: Any) -> None:
    from tests.fakes.outgoing import FakeMailer

    mailer = FakeMailer()
    container.override(mailer=mailer)
    submitted = submit(container, "access")
    service.send_verification(container, email=EMAIL, submitted=submitted, request_type="access")
    (mail,) = mailer.to(EMAIL)
    assert mail.kind == "verification" and submitted.verification_url and submitted.verification_url in mail.text
    assert sent_mail() == []  # nothing reached SES
