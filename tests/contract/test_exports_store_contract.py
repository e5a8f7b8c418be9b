"""One contract for the exports store: the recording fake and S3 (moto)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.adapters.exports_store import ExportsStore
from tests.fakes.outgoing import FakeExportsStore

Read = Callable[[str], bytes | None]


@pytest.fixture(params=["fake", "s3"])
def store(request: pytest.FixtureRequest) -> Iterator[tuple[ExportsStore, Read]]:
    if request.param == "fake":
        fake = FakeExportsStore()
        yield fake, fake.objects.get
    else:
        from chalicelib import aws

        container: Any = request.getfixturevalue("container")

        def read(key: str) -> bytes | None:
            try:
                return bytes(aws.s3().get_object(Bucket=container.settings.exports_bucket, Key=key)["Body"].read())
            except aws.s3().exceptions.NoSuchKey:
                return None

        yield container.exports, read


def test_a_written_export_reads_back_and_a_link_names_its_lifetime(store: Any) -> None:
    exports, read = store
    writer = exports.writer("exports/s/r/export.json", "application/json")
    for part in ('{"a":', "1}"):
        writer.write(part)
    assert writer.close() == 7 and read("exports/s/r/export.json") == b'{"a":1}'
    assert "exports/s/r/export.json" in exports.download_url("exports/s/r/export.json", seconds=900)
    assert "900" in exports.download_url("exports/s/r/export.json", seconds=900)


def test_an_aborted_export_leaves_nothing(store: Any) -> None:
    exports, read = store
    writer = exports.writer("exports/s/r/export.html", "text/html")
    writer.write("<html>")
    writer.abort()
    assert read("exports/s/r/export.html") is None


def test_delete_prefix_and_delete(store: Any) -> None:
    exports, read = store
    for key in ("exports/s1/a", "exports/s1/b", "exports/s2/a"):
        writer = exports.writer(key, "text/plain")
        writer.write("x")
        writer.close()
    assert exports.delete_prefix("exports/s1/") == 2
    assert read("exports/s1/a") is None and read("exports/s2/a") == b"x"
    exports.delete("exports/s2/a")
    assert read("exports/s2/a") is None
