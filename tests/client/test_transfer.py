"""Part planning, one-pass hashing, parallel upload of a plan to a local store, and the
verified download that keeps nothing on a mismatch."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lgsp_client.download import download
from lgsp_client.errors import ChecksumMismatchError, TransferError
from lgsp_client.transfer import MIN_PART_SIZE, MiB, hash_file, part_ranges, upload
from tests.client.server import Received, Reply, Server, serve


def test_part_ranges() -> None:
    assert part_ranges(20 * MiB, 8 * MiB) == [(0, 8 * MiB), (8 * MiB, 8 * MiB),
                                              (16 * MiB, 4 * MiB)]
    assert part_ranges(16 * MiB, 8 * MiB) == [(0, 8 * MiB), (8 * MiB, 8 * MiB)]
    assert part_ranges(3, 8 * MiB) == [(0, 3)]
    assert part_ranges(0, 8 * MiB) == []
    with pytest.raises(ValueError):
        part_ranges(20 * MiB, MIN_PART_SIZE - 1)


def test_hash_file_gives_whole_and_per_part_digests(tmp_path: Path) -> None:
    data = os.urandom(12 * MiB + 123)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    digest = hash_file(path, 5 * MiB)
    assert digest.size == len(data)
    assert digest.sha256 == hashlib.sha256(data).hexdigest()
    assert [(p.number, p.offset, p.size) for p in digest.parts] == \
        [(1, 0, 5 * MiB), (2, 5 * MiB, 5 * MiB), (3, 10 * MiB, 2 * MiB + 123)]
    for p in digest.parts:
        assert p.sha256 == hashlib.sha256(data[p.offset:p.offset + p.size]).hexdigest()
    declared = digest.declared_parts()
    assert declared is not None
    assert [d["size"] for d in declared] == [5 * MiB, 5 * MiB, 2 * MiB + 123]


def test_small_files_declare_no_parts_and_mid_sized_one_part(tmp_path: Path) -> None:
    small, mid = tmp_path / "small", tmp_path / "mid"
    small.write_bytes(b"hello")
    mid.write_bytes(b"m" * (MIN_PART_SIZE + 1))
    assert hash_file(small).declared_parts() is None
    assert hash_file(small).sha256 == hashlib.sha256(b"hello").hexdigest()
    mid_digest = hash_file(mid)
    assert mid_digest.declared_parts() == [{"size": MIN_PART_SIZE + 1,
                                            "sha256": mid_digest.sha256}]


class Store:
    """Accepts PUTs whose length and SHA-256 match the signed headers, like a presigned PUT,
    optionally failing the first attempts with a status."""

    def __init__(self, fail_first: int = 0, fail_status: int = 503) -> None:
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.parts: dict[str, bytes] = {}

    def __call__(self, r: Received) -> Reply:
        if self.fail_first > 0:
            self.fail_first -= 1
            return Reply(self.fail_status, b"<Error><Code>SlowDown</Code></Error>")
        expected = r.headers.get("x-amz-checksum-sha256")
        if expected != base64.b64encode(hashlib.sha256(r.body).digest()).decode():
            return Reply(400, b"<Error><Code>BadDigest</Code></Error>")
        self.parts[r.path.partition("?")[0]] = r.body
        return Reply(200, b"", {"ETag": f'"etag-{hashlib.sha1(r.body).hexdigest()[:8]}"'})


def make_plan(url: str, data: bytes, part: int, *, multipart: bool = True) -> dict[str, Any]:
    requests = []
    for n, offset in enumerate(range(0, len(data), part), start=1):
        chunk = data[offset:offset + part]
        requests.append({
            "part_number": n if multipart else None, "method": "PUT",
            "url": f"{url}/bucket/obj/{n}?X-Amz-Signature=topsecret",
            "headers": {"x-amz-checksum-sha256":
                        base64.b64encode(hashlib.sha256(chunk).digest()).decode()},
            "offset": offset, "size": len(chunk)})
    return {"mode": "multipart" if multipart else "single", "expires_at": "x",
            "requests": requests}


@pytest.fixture
def payload(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(100_000)
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return path, data


@pytest.fixture
def store() -> Iterator[tuple[Store, Server]]:
    handler = Store()
    with serve(handler) as server:
        yield handler, server


def test_multipart_upload_sends_each_range_with_the_plan_headers(
        payload: tuple[Path, bytes], store: tuple[Store, Server]) -> None:
    path, data = payload
    handler, server = store
    plan = make_plan(server.url, data, 30_000)
    etags = upload(path, plan, concurrency=3, progress=False)
    assert [e["part_number"] for e in etags] == [1, 2, 3, 4]
    for etag, request in zip(etags, plan["requests"], strict=True):
        chunk = data[request["offset"]:request["offset"] + request["size"]]
        assert handler.parts[f"/bucket/obj/{etag['part_number']}"] == chunk
        assert etag["etag"] == f'"etag-{hashlib.sha1(chunk).hexdigest()[:8]}"'
    for received in server.received:
        assert received.method == "PUT"
        assert int(received.headers["Content-Length"]) == len(received.body)
        assert "Transfer-Encoding" not in received.headers
        assert "Signature" not in received.headers


def test_single_upload_returns_no_etags(payload: tuple[Path, bytes],
                                        store: tuple[Store, Server]) -> None:
    path, data = payload
    handler, server = store
    assert upload(path, make_plan(server.url, data, len(data), multipart=False),
                  progress=False) == []
    assert handler.parts["/bucket/obj/1"] == data


def test_upload_retries_transient_store_errors(payload: tuple[Path, bytes]) -> None:
    path, data = payload
    naps: list[float] = []
    handler = Store(fail_first=2)
    with serve(handler) as server:
        upload(path, make_plan(server.url, data, len(data)), progress=False, sleep=naps.append)
    assert len(naps) == 2
    assert handler.parts["/bucket/obj/1"] == data


def test_refused_upload_raises_without_showing_the_signed_query(
        payload: tuple[Path, bytes]) -> None:
    path, data = payload
    with serve(Store(fail_first=99, fail_status=403)) as server, \
            pytest.raises(TransferError) as err:
        upload(path, make_plan(server.url, data, 50_000), progress=False, sleep=lambda _: None)
    assert err.value.status == 403
    assert "SlowDown" in err.value.message
    assert "topsecret" not in err.value.message


def test_changed_file_is_refused_by_the_store(payload: tuple[Path, bytes],
                                              store: tuple[Store, Server]) -> None:
    path, data = payload
    plan = make_plan(store[1].url, data, len(data))
    path.write_bytes(bytes([data[0] ^ 0xFF]) + data[1:])  # always a different first byte
    with pytest.raises(TransferError, match="BadDigest"):
        upload(path, plan, progress=False)


def grant_for(url: str, data: bytes, name: str = "x.pdf") -> dict[str, Any]:
    return {"method": "GET", "url": f"{url}/obj?X-Amz-Signature=s", "headers": {},
            "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "file_name": name}


def test_download_verifies_and_renames(tmp_path: Path) -> None:
    data = os.urandom(3 * MiB + 7)
    with serve(lambda r: Reply(200, data)) as server:
        got = download(grant_for(server.url, data), tmp_path / "out.pdf", progress=False)
    assert (tmp_path / "out.pdf").read_bytes() == data
    assert got.sha256 == hashlib.sha256(data).hexdigest() and got.size == len(data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_download_mismatch_leaves_no_file(tmp_path: Path) -> None:
    data = os.urandom(100_000)
    served = b"tampered" + data[8:]
    with serve(lambda r: Reply(200, served)) as server, \
            pytest.raises(ChecksumMismatchError) as err:
        download(grant_for(server.url, data), tmp_path / "out.pdf", progress=False)
    assert err.value.actual == hashlib.sha256(served).hexdigest()
    assert err.value.expected == hashlib.sha256(data).hexdigest()
    assert list(tmp_path.iterdir()) == []


def test_download_refused_leaves_no_file(tmp_path: Path) -> None:
    with serve(lambda r: Reply(403, b"<Error><Code>AccessDenied</Code></Error>")) as server, \
            pytest.raises(TransferError, match="AccessDenied"):
        download(grant_for(server.url, b"abc"), tmp_path / "out.pdf", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_store_is_reported_without_the_signed_query(
        payload: tuple[Path, bytes], tmp_path: Path) -> None:
    path, data = payload
    with serve(lambda r: Reply(200)) as server:
        url = server.url
    naps: list[float] = []
    with pytest.raises(TransferError) as err:
        upload(path, make_plan(url, data, 50_000), progress=False, sleep=naps.append)
    assert "topsecret" not in str(err.value) and "/bucket/obj/" in err.value.message
    assert len(naps) >= 3
    with pytest.raises(TransferError) as err:
        download(grant_for(url, data), tmp_path / "x.pdf", progress=False, sleep=naps.append)
    assert "X-Amz-Signature" not in str(err.value)
    assert [p.name for p in tmp_path.iterdir()] == ["doc.pdf"]


class RangedStore:
    """Serves `data` honouring `Range: bytes=a-b` (206), failing the first `fail_first`
    ranged requests with 503, or ignoring ranges altogether (200, whole body)."""

    def __init__(self, data: bytes, *, fail_first: int = 0, ignore_ranges: bool = False) -> None:
        self.data, self.fail_first, self.ignore_ranges = data, fail_first, ignore_ranges
        self.ranges: list[str] = []

    def __call__(self, r: Received) -> Reply:
        wanted = r.headers.get("Range")
        if wanted is None or self.ignore_ranges:
            return Reply(200, self.data)
        self.ranges.append(wanted)
        if len(self.ranges) <= self.fail_first:
            return Reply(503, b"<Error><Code>SlowDown</Code></Error>")
        start, end = (int(x) for x in wanted.removeprefix("bytes=").split("-"))
        return Reply(206, self.data[start:end + 1],
                     {"Content-Range": f"bytes {start}-{end}/{len(self.data)}"})


def test_large_content_comes_in_parallel_ranges_written_in_order(tmp_path: Path) -> None:
    data = os.urandom(3 * MIN_PART_SIZE + 12345)
    store = RangedStore(data)
    with serve(store) as server:
        got = download(grant_for(server.url, data), tmp_path / "out.pdf", progress=False,
                       part_size=MIN_PART_SIZE, concurrency=3)
    assert (tmp_path / "out.pdf").read_bytes() == data
    assert got.sha256 == hashlib.sha256(data).hexdigest()
    ends = [(o, min(o + MIN_PART_SIZE, len(data)) - 1) for o in range(0, len(data),
                                                                   MIN_PART_SIZE)]
    assert sorted(store.ranges) == sorted(f"bytes={a}-{b}" for a, b in ends)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_a_failing_range_is_retried_alone(tmp_path: Path) -> None:
    data = os.urandom(2 * MIN_PART_SIZE + 1)
    store = RangedStore(data, fail_first=1)
    with serve(store) as server:
        got = download(grant_for(server.url, data), tmp_path / "out.pdf", progress=False,
                       part_size=MIN_PART_SIZE, concurrency=2, sleep=lambda _: None)
    assert got.size == len(data) and (tmp_path / "out.pdf").read_bytes() == data
    assert len(store.ranges) == 4  # three parts, one of them asked twice


def test_a_store_that_ignores_ranges_is_refused_and_leaves_no_file(tmp_path: Path) -> None:
    data = os.urandom(2 * MIN_PART_SIZE)
    with serve(RangedStore(data, ignore_ranges=True)) as server, \
            pytest.raises(TransferError, match="did not answer the range"):
        download(grant_for(server.url, data), tmp_path / "out.pdf", progress=False,
                 part_size=MIN_PART_SIZE, concurrency=2)
    assert list(tmp_path.iterdir()) == []


def test_ranged_content_that_does_not_match_leaves_no_file(tmp_path: Path) -> None:
    data = os.urandom(2 * MIN_PART_SIZE + 3)
    served = data[:-1] + bytes([data[-1] ^ 1])
    with serve(RangedStore(served)) as server, pytest.raises(ChecksumMismatchError) as err:
        download(grant_for(server.url, data), tmp_path / "out.pdf", progress=False,
                 part_size=MIN_PART_SIZE, concurrency=2)
    assert err.value.actual == hashlib.sha256(served).hexdigest()
    assert list(tmp_path.iterdir()) == []

