"""The S3 adapter under moto, as the service tests use it, and what moto does and does not
check (integrity and presign security are tested against SeaweedFS in tests/e2e)."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
import requests

from chalicelib.adapters.objects_s3 import (
    S3ObjectStore,
    attachment_disposition,
    composite_sha256_b64,
    ensure_bucket,
    make_s3_client,
)
from chalicelib.domain.errors import ContentMismatchError, NotFoundError
from chalicelib.domain.ports import PresignedRequest, UploadedPart

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
NAME = "Tờ trình số 12 — Sở Nội vụ.pdf"


def sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def send(req: PresignedRequest, data: bytes) -> requests.Response:
    return requests.request(req.method, req.url, data=data, headers=req.headers, timeout=30)


@pytest.fixture
def store(aws: None) -> S3ObjectStore:
    client = make_s3_client(endpoint_url=None, region="us-east-1", access_key=None,
                            secret_key=None, path_style=False)
    ensure_bucket(client, "moto-objects")
    ensure_bucket(client, "moto-objects")
    return S3ObjectStore(client, "moto-objects")


def test_single_put_get_delete_round_trip(store: S3ObjectStore) -> None:
    data = os.urandom(2048)
    put = store.presign_put("m/a", size=len(data), sha256_b64=sha(data),
                            content_type="application/pdf", expires_in=60)
    assert send(put, data).status_code == 200

    stored = store.head("m/a")
    assert stored is not None
    assert (stored.size, stored.sha256_b64) == (len(data), sha(data))

    grant = store.presign_get("m/a", expires_in=60, file_name=NAME)
    got = requests.get(grant.url, headers=grant.headers, timeout=30)
    assert got.content == data
    assert got.headers["Content-Disposition"] == attachment_disposition(NAME)

    store.delete("m/a")
    assert store.head("m/a") is None
    store.delete("m/a")


def test_moto_stores_other_bytes_and_reports_the_declared_checksum(
        store: S3ObjectStore) -> None:
    """moto checks neither the checksum nor the signature: never rely on it for integrity."""
    data, other = os.urandom(100), os.urandom(100)
    put = store.presign_put("m/b", size=len(data), sha256_b64=sha(data),
                            content_type="application/pdf", expires_in=60)
    assert send(PresignedRequest("PUT", put.url.replace("Signature=", "Signature=0"),
                                 put.headers), other).status_code == 200
    stored = store.head("m/b")
    assert stored is not None and stored.sha256_b64 == sha(data)
    grant = store.presign_get("m/b", expires_in=60, file_name="b.pdf")
    assert requests.get(grant.url, timeout=30).content == other


def upload_parts(store: S3ObjectStore, key: str, chunks: list[bytes]
                 ) -> tuple[str, list[UploadedPart]]:
    upload_id = store.create_multipart(key, content_type="application/pdf")
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        req = store.presign_part(key, upload_id, number, size=len(chunk),
                                 sha256_b64=sha(chunk), expires_in=60)
        response = send(req, chunk)
        assert response.status_code == 200
        parts.append(UploadedPart(number, response.headers["ETag"], sha(chunk)))
    return upload_id, parts


def test_multipart_round_trip_reports_the_composite_checksum(store: S3ObjectStore) -> None:
    chunks = [os.urandom(5 * MiB), os.urandom(300)]
    upload_id, parts = upload_parts(store, "m/c", chunks)
    store.complete_multipart("m/c", upload_id, list(reversed(parts)))

    expected = composite_sha256_b64([p.sha256_b64 for p in parts])
    stored = store.head("m/c")
    assert stored is not None
    assert (stored.size, stored.sha256_b64) == (len(chunks[0]) + 300, expected)
    # moto's head_object drops the "-2" its get_object reports; the adapter restores it.
    raw = store._s3.head_object(Bucket=store.bucket, Key="m/c", ChecksumMode="ENABLED")
    assert raw["ChecksumSHA256"] == expected.removesuffix("-2")
    assert raw["ChecksumType"] == "COMPOSITE"
    full = store._s3.get_object(Bucket=store.bucket, Key="m/c", ChecksumMode="ENABLED")
    assert full["ChecksumSHA256"] == expected


def test_moto_refuses_a_changed_etag_but_not_a_changed_checksum(store: S3ObjectStore) -> None:
    chunks = [os.urandom(5 * MiB), os.urandom(10)]
    upload_id, parts = upload_parts(store, "m/d", chunks)
    with pytest.raises(ContentMismatchError) as caught:
        store.complete_multipart("m/d", upload_id, [
            parts[0], UploadedPart(2, '"' + "0" * 32 + '"', parts[1].sha256_b64)])
    assert caught.value.code == "checksum_mismatch"
    assert store.head("m/d") is None

    store.complete_multipart("m/d", upload_id,
                             [parts[0], UploadedPart(2, parts[1].etag, sha(b"other"))])
    assert store.head("m/d") is not None


def test_missing_parts_are_reported_as_incomplete(store: S3ObjectStore) -> None:
    chunks = [os.urandom(5 * MiB), os.urandom(10)]
    upload_id, parts = upload_parts(store, "m/e", chunks[:1])
    missing = UploadedPart(2, f'"{hashlib.md5(chunks[1]).hexdigest()}"', sha(chunks[1]))
    with pytest.raises(ContentMismatchError) as caught:
        store.complete_multipart("m/e", upload_id, [*parts, missing])
    assert (caught.value.code, caught.value.details) == ("upload_incomplete",
                                                         {"missing_parts": [2]})
    store.abort_multipart("m/e", upload_id)
    store.abort_multipart("m/e", upload_id)


def test_content_is_read_back_in_chunks_and_an_absent_object_is_not_found(
        store: S3ObjectStore) -> None:
    """What the hub reads of content it must check (edXML), a chunk at a time."""
    data = bytes(range(256)) * 41  # 10,496 bytes: not a multiple of the chunk size
    store._s3.put_object(Bucket=store.bucket, Key="exchange/m1/content", Body=data)
    chunks = list(store.read_chunks("exchange/m1/content", chunk_size=4096))
    assert [len(c) for c in chunks] == [4096, 4096, 2304]
    assert b"".join(chunks) == data
    with pytest.raises(NotFoundError) as refused:
        list(store.read_chunks("exchange/absent/content"))
    assert refused.value.code == "content_not_found"
