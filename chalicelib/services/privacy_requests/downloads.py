"""Export downloads: fresh short-lived links to a completed export, for the account or a guest's mailed link."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.privacy_requests import PrivacyRequest, Status
from chalicelib.observability import count, logger
from chalicelib.services.privacy_requests.tokens import hash_token
from chalicelib.storage.privacy_requests import InvalidLinkError

if TYPE_CHECKING:
    from chalicelib.services.ports import RightsPorts

DOWNLOAD_URL_SECONDS = 900  # presigned export URLs live at most 15 minutes

def download_urls(ports: RightsPorts, request: PrivacyRequest, *, now: int, actor: str) -> dict[str, str] | None:
    """Fresh presigned URLs (15 minutes) of a completed, unexpired export; each issue is logged."""
    export = request.result.get("export")
    if request.status is not Status.COMPLETED or not export or int(export["expires_at"]) <= now:
        return None
    urls = {fmt: ports.exports.download_url(export[key], seconds=DOWNLOAD_URL_SECONDS)
            for fmt, key in (("json", "json_key"), ("html", "html_key"))}
    count("PrivacyExportDownloadLink")
    logger.info("export download link issued", extra={"request_id": request.request_id, "actor": actor})
    return urls


def download_by_token(ports: RightsPorts, *, token: str, now: int) -> str:
    """The presigned URL (JSON) of the export a guest's download link points to."""
    repo = ports.privacy_requests
    stored = repo.token(hash_token(ports, token, "DOWNLOAD"), "DOWNLOAD", now=now) if token else None
    request = repo.get(stored.request_id, now=now) if stored else None
    urls = download_urls(ports, request, now=now, actor="subject:download-link") if request else None
    if not urls:
        raise InvalidLinkError("this link is invalid or expired")
    return urls["json"]
