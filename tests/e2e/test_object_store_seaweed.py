"""The S3 adapter against a real SeaweedFS: the store itself must refuse any bytes other than
the declared ones, tampered or expired URLs, and requests without valid credentials."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.auth
import pytest
import requests
from botocore.exceptions import ClientError

from chalicelib.adapters.objects_s3 import (
    S3ObjectStore,
    composite_sha256_b64,
    ensure_bucket,
    make_s3_client,
)
from chalicelib.domain.errors import ContentMismatchError
from chalicelib.domain.ports import PresignedRequest, StoredObject, UploadedPart
from infra.local.processes import free_ports
from infra.local.seaweed import SeaweedServer
from tests.support.seaweed_fixture import SeaweedEndpoint

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
NAME = "Báo cáo quý 3 — Sở Tài chính Đà Nẵng (bản cuối).pdf"


def sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def send(req: PresignedRequest, data: bytes, **headers: str) -> requests.Response:
    return requests.request(req.method, req.url, data=data, headers={**req.headers, **headers},
                            timeout=30)


def presign(store: S3ObjectStore, key: str, data: bytes, expires_in: int = 300,
            ) -> PresignedRequest:
    return store.presign_put(key, size=len(data), sha256_b64=sha(data),
                             content_type="application/pdf", expires_in=expires_in)


def error_code(response: requests.Response) -> str:
    return response.text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in response.text \
        else ""


@pytest.fixture
def stored(s3_store: S3ObjectStore) -> Iterator[tuple[str, bytes]]:
    data = os.urandom(3000)
    assert send(presign(s3_store, "docs/stored", data), data).status_code == 200
    yield "docs/stored", data


def test_presigned_put_of_the_declared_bytes_is_stored_with_its_sha256(
        s3_store: S3ObjectStore) -> None:
    data = os.urandom(70_000)
    req = presign(s3_store, "docs/a", data)
    signed = parse_qs(urlsplit(req.url).query)["X-Amz-SignedHeaders"][0].split(";")
    assert set(req.headers) | {"host"} == set(signed)
    assert req.headers["content-length"] == str(len(data))

    response = send(req, data)

    assert response.status_code == 200, response.text
    stored = s3_store.head("docs/a")
    assert stored is not None
    assert (stored.size, stored.sha256_b64) == (len(data), sha(data))


def test_same_length_other_bytes_are_refused_and_nothing_is_stored(
        s3_store: S3ObjectStore) -> None:
    data = os.urandom(5000)
    response = send(presign(s3_store, "docs/b", data), os.urandom(5000))
    assert response.status_code == 400
    assert error_code(response) == "BadDigest"
    assert s3_store.head("docs/b") is None


@pytest.mark.parametrize("other", [b"x" * 4999, b"x" * 5001, b""])
def test_other_lengths_are_refused(s3_store: S3ObjectStore, other: bytes) -> None:
    data = b"x" * 5000
    response = send(presign(s3_store, "docs/c", data), other,
                    **{"content-length": str(len(other))})
    assert response.status_code == 403
    assert s3_store.head("docs/c") is None


@pytest.mark.parametrize("header", ["content-type", "x-amz-checksum-sha256",
                                    "x-amz-sdk-checksum-algorithm"])
def test_every_returned_header_is_required(s3_store: S3ObjectStore, header: str) -> None:
    data = os.urandom(100)
    req = presign(s3_store, "docs/d", data)
    headers = {k: v for k, v in req.headers.items() if k != header}
    response = requests.put(req.url, data=data, headers=headers, timeout=30)
    assert response.status_code == 403
    assert s3_store.head("docs/d") is None


def test_other_bytes_with_their_own_checksum_header_are_refused(
        s3_store: S3ObjectStore) -> None:
    data, other = os.urandom(100), os.urandom(100)
    response = send(presign(s3_store, "docs/e", data), other,
                    **{"x-amz-checksum-sha256": sha(other)})
    assert response.status_code == 403
    assert error_code(response) == "SignatureDoesNotMatch"


def _tamper(url: str, what: str) -> str:
    if what == "signature":
        sig = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
        return url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    if what == "key":
        return url.replace("/docs/f?", "/docs/g?")
    return url.replace("X-Amz-Expires=300", "X-Amz-Expires=3000")


@pytest.mark.parametrize("what", ["signature", "key", "expiry"])
def test_tampered_urls_are_refused(s3_store: S3ObjectStore, what: str) -> None:
    data = os.urandom(100)
    req = presign(s3_store, "docs/f", data)
    tampered = PresignedRequest(req.method, _tamper(req.url, what), req.headers)
    assert tampered.url != req.url
    response = send(tampered, data)
    assert response.status_code == 403
    assert error_code(response) == "SignatureDoesNotMatch"
    assert s3_store.head("docs/f") is None and s3_store.head("docs/g") is None


def test_expired_urls_are_refused(s3_store: S3ObjectStore,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Presign with botocore's clock two hours back: a 60 s URL is long expired."""
    real_now = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda remove_tzinfo=True: real_now(remove_tzinfo) - dt.timedelta(hours=2))
    data = os.urandom(100)
    expired = presign(s3_store, "docs/h", data, expires_in=60)
    still_valid = presign(s3_store, "docs/h", data, expires_in=3 * 3600)
    monkeypatch.undo()

    refused = send(expired, data)
    assert refused.status_code == 403
    assert "expired" in refused.text.lower()
    assert s3_store.head("docs/h") is None
    assert send(still_valid, data).status_code == 200


def test_unsigned_requests_are_refused(seaweed: SeaweedEndpoint, s3_store: S3ObjectStore,
                                       stored: tuple[str, bytes]) -> None:
    url = f"{seaweed.endpoint_url}/{s3_store.bucket}/{stored[0]}"
    assert requests.get(url, timeout=30).status_code == 403
    assert requests.get(f"{seaweed.endpoint_url}/{s3_store.bucket}", timeout=30).status_code \
        == 403
    assert requests.put(f"{url}-anon", data=b"x", timeout=30).status_code == 403
    assert s3_store.head(f"{stored[0]}-anon") is None


def test_a_wrong_secret_is_refused(seaweed: SeaweedEndpoint, s3_store: S3ObjectStore,
                                   stored: tuple[str, bytes]) -> None:
    impostor = S3ObjectStore(seaweed.client(secret_key="not-the-secret"), s3_store.bucket)
    with pytest.raises(ClientError) as caught:
        impostor._s3.list_objects_v2(Bucket=s3_store.bucket)
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    grant = impostor.presign_get(stored[0], expires_in=60, file_name="x.pdf")
    assert requests.get(grant.url, timeout=30).status_code == 403
    data = os.urandom(10)
    assert send(presign(impostor, "docs/i", data), data).status_code == 403
    assert s3_store.head("docs/i") is None


def test_presigned_get_downloads_the_bytes_under_the_vietnamese_name(
        s3_store: S3ObjectStore, stored: tuple[str, bytes]) -> None:
    grant = s3_store.presign_get(stored[0], expires_in=60, file_name=NAME)
    response = requests.get(grant.url, headers=grant.headers, timeout=30)
    assert response.status_code == 200
    assert response.content == stored[1]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Bao cao quy 3 ')
    assert disposition.isascii()
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == NAME


def test_delete_removes_and_tolerates_missing_objects(s3_store: S3ObjectStore,
                                                      stored: tuple[str, bytes]) -> None:
    s3_store.delete(stored[0])
    assert s3_store.head(stored[0]) is None
    s3_store.delete(stored[0])
    s3_store.delete("docs/never-there")
    ensure_bucket(s3_store._s3, s3_store.bucket)


PARTS = [5 * MiB, 5 * MiB, 1234]


def upload_parts(store: S3ObjectStore, key: str, chunks: list[bytes],
                 skip: frozenset[int] = frozenset()) -> tuple[str, list[UploadedPart]]:
    """Start an upload and PUT each part (except `skip`) through its presigned request."""
    upload_id = store.create_multipart(key, content_type="application/pdf")
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        etag = f'"{hashlib.md5(chunk).hexdigest()}"'
        if number not in skip:
            req = store.presign_part(key, upload_id, number, size=len(chunk),
                                     sha256_b64=sha(chunk), expires_in=300)
            response = send(req, chunk)
            assert response.status_code == 200, response.text
            etag = response.headers["ETag"]
        parts.append(UploadedPart(number, etag, sha(chunk)))
    return upload_id, parts


@pytest.fixture
def chunks() -> list[bytes]:
    return [os.urandom(size) for size in PARTS]


def test_multipart_completes_with_the_composite_sha256(s3_store: S3ObjectStore,
                                                       chunks: list[bytes]) -> None:
    upload_id, parts = upload_parts(s3_store, "big/a", chunks)
    s3_store.complete_multipart("big/a", upload_id, list(reversed(parts)))

    stored = s3_store.head("big/a")
    expected = composite_sha256_b64([p.sha256_b64 for p in parts])
    assert stored is not None
    assert (stored.size, stored.sha256_b64) == (sum(PARTS), expected)
    assert expected.endswith("-3") and expected != f"{sha(b''.join(chunks))}-3"
    raw = s3_store._s3.head_object(Bucket=s3_store.bucket, Key="big/a", ChecksumMode="ENABLED")
    assert (raw["ChecksumSHA256"], raw["ChecksumType"]) == (expected, "COMPOSITE")


def test_a_part_with_other_bytes_is_refused(s3_store: S3ObjectStore,
                                            chunks: list[bytes]) -> None:
    upload_id = s3_store.create_multipart("big/b", content_type="application/pdf")
    req = s3_store.presign_part("big/b", upload_id, 1, size=len(chunks[0]),
                                sha256_b64=sha(chunks[0]), expires_in=300)
    corrupted = bytearray(chunks[0])
    corrupted[-1] ^= 1
    response = send(req, bytes(corrupted))
    assert response.status_code == 400
    assert error_code(response) == "BadDigest"
    assert send(req, chunks[0]).status_code == 200


def test_completing_without_a_part_is_refused_as_incomplete(s3_store: S3ObjectStore,
                                                            chunks: list[bytes]) -> None:
    upload_id, parts = upload_parts(s3_store, "big/c", chunks, skip=frozenset({2}))
    with pytest.raises(ContentMismatchError) as caught:
        s3_store.complete_multipart("big/c", upload_id, parts)
    assert caught.value.code == "upload_incomplete"
    assert caught.value.details["missing_parts"] == [2]
    assert isinstance(caught.value.__cause__, ClientError)
    assert s3_store.head("big/c") is None


@pytest.mark.parametrize("change", ["etag", "sha256"])
def test_completing_with_changed_part_details_is_a_mismatch(
        s3_store: S3ObjectStore, chunks: list[bytes], change: str) -> None:
    upload_id, parts = upload_parts(s3_store, "big/d", chunks)
    if change == "etag":
        parts[1] = UploadedPart(2, '"' + "0" * 32 + '"', parts[1].sha256_b64)
    else:
        parts[1] = UploadedPart(2, parts[1].etag, sha(b"other"))
    with pytest.raises(ContentMismatchError) as caught:
        s3_store.complete_multipart("big/d", upload_id, parts)
    assert caught.value.code == "checksum_mismatch"
    assert s3_store.head("big/d") is None


def test_an_aborted_upload_cannot_be_completed(s3_store: S3ObjectStore,
                                               chunks: list[bytes]) -> None:
    upload_id, parts = upload_parts(s3_store, "big/e", chunks)
    s3_store.abort_multipart("big/e", upload_id)
    s3_store.abort_multipart("big/e", upload_id)
    with pytest.raises(ContentMismatchError) as caught:
        s3_store.complete_multipart("big/e", upload_id, parts)
    assert caught.value.code == "upload_incomplete"
    assert s3_store.head("big/e") is None


def test_uploads_whose_ids_were_lost_are_found_and_aborted(s3_store: S3ObjectStore) -> None:
    """A multipart upload created by the store whose answer never reached the hub is
    found by its key and aborted; uploads of other keys sharing the prefix are kept."""
    for _ in range(2):
        s3_store.create_multipart("big/lost", content_type="application/pdf")
    s3_store.create_multipart("big/lost-other", content_type="application/pdf")
    assert s3_store.abort_uploads("big/lost") == 2
    assert s3_store.abort_uploads("big/lost") == 0
    assert s3_store.abort_uploads("big/lost-other") == 1  # kept until now


def test_a_restarted_server_keeps_its_data(tmp_path: Path) -> None:
    """Stop (SIGTERM, clean exit) and start again on the same folder, as `make run` does."""
    server = SeaweedServer(tmp_path / "seaweed", s3_port=free_ports(1)[0],
                           access_key="AKRESTART", secret_key="restart-secret", stop_timeout=5)
    with server:
        store = S3ObjectStore(make_s3_client(
            endpoint_url=server.endpoint_url, region="us-east-1", access_key="AKRESTART",
            secret_key="restart-secret", path_style=True), "kept")
        ensure_bucket(store._s3, "kept")
        data = os.urandom(1000)
        assert send(presign(store, "docs/kept", data), data).status_code == 200
        server.stop(timeout=60)
        assert not server.running
        server.start()
        assert store.head("docs/kept") == StoredObject(len(data), sha(data))
        more = os.urandom(10)
        assert send(presign(store, "docs/more", more), more).status_code == 200


def test_content_is_read_back_in_chunks_from_the_real_store(
        stored: tuple[str, bytes], s3_store: S3ObjectStore) -> None:
    key, data = stored
    chunks = list(s3_store.read_chunks(key, chunk_size=1024))
    assert max(len(c) for c in chunks) <= 1024 and b"".join(chunks) == data
