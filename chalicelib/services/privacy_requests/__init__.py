"""Use cases of privacy requests, one module each:

- `submit`:      submit_request (account, the web form's intake queue, privacy@ mail), with its regime and
                 deadline; only the request types the store's policy offers (`offered_types`);
- `verify`:      verify_request (the single-use e-mail link);
- `fulfilment`:  fulfil / fulfil_safely / execute_deletion (export, erasure after the grace period, opt-out,
                 correction);
- `operator`:    ownership (own_request, account_requests), cancel, extend, complete a correction, deny, list;
- `downloads`:   download_urls / download_by_token (short-lived links to an export);
- `deadlines`:   run_scheduled_request_work (the scheduled job's part);
- `notices`:     mail to the subject (verification, export ready, extension), signed by the policy's `sender`;
- `tokens`, `transitions`: single-use links, and one transition = one transaction with its audit entry.

Each takes the area's ports (`chalicelib.services.ports.RightsPorts`) first.  Nothing personal is logged:
request ids, types, states and counts only.
"""

from chalicelib.payloads.request_views import describe
from chalicelib.services.privacy_requests.deadlines import run_scheduled_request_work
from chalicelib.services.privacy_requests.downloads import DOWNLOAD_URL_SECONDS, download_by_token, download_urls
from chalicelib.services.privacy_requests.fulfilment import execute_deletion, fulfil, fulfil_safely
from chalicelib.services.privacy_requests.notices import send_extension_notice, send_verification, sender
from chalicelib.services.privacy_requests.operator import (
    account_requests,
    audit_trail,
    cancel,
    cancel_deletion,
    complete_correction,
    deny_request,
    extend_request,
    get_request,
    open_requests,
    own_request,
)
from chalicelib.services.privacy_requests.submit import (
    SubmittedRequest,
    offered_types,
    parse_type,
    regime_for_subject,
    submit_request,
)
from chalicelib.services.privacy_requests.tokens import hash_token, verification_link
from chalicelib.services.privacy_requests.verify import verify_request

__all__ = ["DOWNLOAD_URL_SECONDS", "SubmittedRequest", "account_requests", "audit_trail", "cancel", "cancel_deletion",
           "complete_correction", "deny_request", "describe", "download_by_token", "download_urls", "execute_deletion",
           "extend_request", "fulfil", "fulfil_safely", "get_request", "hash_token", "offered_types", "open_requests",
           "own_request", "parse_type", "regime_for_subject", "run_scheduled_request_work", "send_extension_notice",
           "send_verification", "sender", "submit_request", "verification_link", "verify_request"]
