"""Export: generic over the subject_index, decrypted for the export only, streamed to S3 with SSE-KMS.

Also home of the seeding helpers the other rights tests import (items written exactly as the subject-item
convention says, as the webhooks, consent, marketing and mail features write them)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.retention import DAY, Category
from tests.conftest import NOW
from tests.fakes.subjects import BILLING, put_subject_item, read_object, seed_subject
from tests.helpers import store_policy


# -- tests ---------------------------------------------------------------------------------------------------------
def test_export_contains_everything_about_the_subject_decrypted(container: Any) -> None:
    from chalicelib.services.export_subject import export_subject

    subject = seed_subject(container)
    seed_subject(container, "someone.else@example.net", customer_id="99")
    result = export_subject(container, subject=subject, request_id="req1", now=NOW)
    document = json.loads(read_object(container, result.json_key))
    assert document["schema"] == "privacy-export" and document["schema_version"] == "1.1"
    kinds = sorted(record["kind"] for record in document["records"])
    assert kinds == ["consent_event", "correspondence", "customer", "dispute", "marketing", "order", "order",
                     "order", "payment"]
    assert document["record_count"] == result.records == 9
    order = next(r for r in document["records"] if r["kind"] == "order" and r["data"].get("total"))
    assert order["personal"]["billing"]["first_name"] == BILLING["first_name"]
    assert order["personal"]["customer_ip_address"] == "203.0.113.77"
    assert order["retained_until"] and order["source"].startswith("the store")
    assert "someone.else" not in json.dumps(document)


def test_export_has_the_art15_information(container: Any) -> None:
    from chalicelib.services.export_subject import export_subject

    container.override(store_policy=store_policy("jetkrate"))  # the store with analytics and advertising tools
    subject = seed_subject(container)
    result = export_subject(container, subject=subject, request_id="req1", now=NOW)
    info = json.loads(read_object(container, result.json_key))["information"]
    names = " ".join(r["name"] for r in info["recipients"])
    assert "PayPal" in names and "WooCommerce" in names
    assert "Google Analytics" in names  # consented to analytics
    assert "Meta Pixel" not in names  # not to marketing cookies
    retention = {r["category"]: r for r in info["retention"]}
    assert retention["order"]["days"] == 2555 and retention["order"]["then"] == "anonymise"
    assert info["purposes"] and info["controller"]["name"] and "erasure" in info["rights"]
    assert info["sources"]["payment"].startswith("PayPal")


def test_export_retention_cites_the_law_of_the_store(container: Any) -> None:
    from chalicelib.services.export_subject import export_subject

    subject = seed_subject(container)  # jetcards (the local default): an Estonian company's accounting records
    result = export_subject(container, subject=subject, request_id="req1", now=NOW)
    info = json.loads(read_object(container, result.json_key))["information"]
    retention = {r["category"]: r for r in info["retention"]}
    assert "Accounting Act" in retention["order"]["legal_basis"]


def test_export_html_is_readable_and_escaped(container: Any) -> None:
    from chalicelib.services.export_subject import export_subject

    subject = seed_subject(container)
    put_subject_item(container, subject, pk="X#1", sk="X", kind="correspondence", ident="x",
                     category=Category.CORRESPONDENCE, start=NOW, data={}, personal={"body": "<script>x</script>"})
    result = export_subject(container, subject=subject, request_id="req1", now=NOW)
    page = read_object(container, result.html_key).decode()
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert BILLING["last_name"] in page and "GDPR Art. 15" in page
    assert "<script>x" not in page and "&lt;script&gt;" in page


def test_export_objects_are_kms_encrypted_and_expire_in_seven_days(container: Any) -> None:
    import boto3

    from chalicelib.services.export_subject import export_subject

    subject = seed_subject(container)
    result = export_subject(container, subject=subject, request_id="req1", now=NOW)
    s3 = boto3.client("s3", region_name="eu-west-1")
    for key in (result.json_key, result.html_key):
        head = s3.head_object(Bucket=container.settings.exports_bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms"
    assert result.expires_at == NOW + 7 * DAY


def test_large_export_is_streamed_in_parts(container: Any) -> None:
    from chalicelib import aws
    from chalicelib.adapters.exports_store import S3ExportsStore
    from chalicelib.services import export_subject as module

    calls: dict[str, list[int]] = {}

    def counting(params: dict[str, Any], **_: Any) -> None:
        calls.setdefault(params["Key"], []).append(len(params["Body"]))

    container.override(exports=S3ExportsStore(aws.s3, container.settings.exports_bucket,
                                              container.settings.kms_key_id, part_bytes=5 * 1024 * 1024))
    aws.s3().meta.events.register("provide-client-params.s3.UploadPart", counting)
    subject = seed_subject(container, extra=0)
    big = "x" * 200_000
    for n in range(60):  # ~12 MB of sealed text: at least two parts
        put_subject_item(container, subject, pk=f"BIG#{n}", sk="B", kind="correspondence", ident=f"{n:04d}",
                         category=Category.CORRESPONDENCE, start=NOW, data={}, personal={"body": big})
    result = module.export_subject(container, subject=subject, request_id="big", now=NOW)
    assert sorted(calls) == sorted([result.json_key, result.html_key])
    for sizes in calls.values():
        assert len(sizes) >= 2 and all(size >= 5 * 1024 * 1024 for size in sizes[:-1])
    document = json.loads(read_object(container, result.json_key))
    assert document["record_count"] == 9 + 60


def test_export_of_an_unknown_subject_is_empty_but_valid(container: Any) -> None:
    from chalicelib.services.export_subject import export_subject

    result = export_subject(container, subject="nobody", request_id="r", now=NOW)
    document = json.loads(read_object(container, result.json_key))
    assert document["records"] == [] and document["record_count"] == 0


def test_failed_export_aborts_its_uploads(container: Any) -> None:
    import boto3

    from chalicelib.services import export_subject as module
    from tests.fakes.faults import FailingAfter

    subject = seed_subject(container)
    container.override(subject_data=FailingAfter(container.subject_data, "records", 3))  # fails part-way
    with pytest.raises(RuntimeError):
        module.export_subject(container, subject=subject, request_id="r", now=NOW)
    s3 = boto3.client("s3", region_name="eu-west-1")
    assert s3.list_objects_v2(Bucket=container.settings.exports_bucket).get("KeyCount", 0) == 0
