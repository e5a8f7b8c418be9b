"""Domain errors.  Each carries the HTTP status it maps to; the mapping happens in one place
(`chalicelib.handlers.http`).  Messages must never contain personal data: they are returned and logged."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds; answered as `Retry-After` (429, 503)

    def __init__(self, message: str, *, field: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if retry_after is not None:
            self.retry_after = max(1, int(retry_after))


class InvalidInputError(DomainError):
    status = 400
    code = "invalid_input"


class UnauthorizedError(DomainError):
    status = 401
    code = "unauthorized"


class ForbiddenError(DomainError):
    status = 403
    code = "forbidden"


class NotFoundError(DomainError):
    status = 404
    code = "not_found"


class ConflictError(DomainError):
    status = 409
    code = "conflict"


class PayloadTooLargeError(DomainError):
    status = 413
    code = "payload_too_large"


class RecordTooLargeError(PayloadTooLargeError):
    """What would be stored is larger than a DynamoDB item may be (400 KB): retrying can never succeed."""

    code = "record_too_large"


class UnsupportedMediaTypeError(DomainError):
    status = 415
    code = "unsupported_media_type"


class RateLimitedError(DomainError):
    status = 429
    code = "rate_limited"


class StorageUnavailableError(DomainError):
    """Storage failed: answered 503 so that a sender retries; nothing partial is left behind."""

    status = 503
    code = "storage_unavailable"
    retry_after = 5


class KeyServiceUnavailableError(StorageUnavailableError):
    """KMS refused or failed (throttling, 5xx, unreachable): 503 so that a sender retries; nothing is stored, as
    no field can be sealed without the subject's key."""

    code = "key_service_unavailable"


class MailDeliveryError(DomainError):
    """SES refused the mail or could not be reached; the caller decides whether to retry."""

    status = 503
    code = "mail_unavailable"
    retry_after = 30


class SubjectSuppressedError(DomainError):
    """The subject was erased; their personal data must not be stored again."""

    status = 409
    code = "subject_erased"


class KeyShreddedError(DomainError):
    """The subject's data key was destroyed: their encrypted fields are unreadable for good."""

    status = 410
    code = "subject_erased"
