"""Moving content: hashing, upload to the exchange space, download from it.

Files are streamed in 1 MiB chunks and never held in memory whole. Uploads and downloads
go straight to the presigned URLs the hub hands out (not through the hub), so they are not
signed; their URLs are capabilities and are never printed, only their host and path.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential
from tqdm import tqdm

from lgsp_client.errors import ChecksumMismatchError, TransferError

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB
DEFAULT_PART_SIZE = 8 * MiB
DEFAULT_CONCURRENCY = 4
CHUNK = 1 * MiB
TRANSFER_TIMEOUT = (10.0, 300.0)
STORE_RETRY_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class PartDigest:
    number: int
    offset: int
    size: int
    sha256: str


@dataclass(frozen=True)
class FileDigest:
    """Size and SHA-256 of a whole file, and of each of its parts."""

    size: int
    sha256: str
    part_size: int
    parts: tuple[PartDigest, ...]

    def declared_parts(self) -> list[dict[str, Any]] | None:
        """`content.parts` for the create request: declared for anything above the smallest
        part, so the hub can choose multipart whatever its single-upload threshold."""
        if self.size <= MIN_PART_SIZE:
            return None
        return [{"size": p.size, "sha256": p.sha256} for p in self.parts]


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str


def part_ranges(size: int, part_size: int = DEFAULT_PART_SIZE) -> list[tuple[int, int]]:
    """(offset, size) of each part: all `part_size` except a shorter last one."""
    if part_size < MIN_PART_SIZE:
        raise ValueError(f"part size must be at least {MIN_PART_SIZE} bytes")
    return [(offset, min(part_size, size - offset)) for offset in range(0, size, part_size)]


def progress_bar(total: int, desc: str, enabled: bool) -> tqdm:
    """One byte-counting bar with throughput, on stderr (and only when it is a terminal)."""
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                disable=None if enabled else True, leave=False, dynamic_ncols=True)


def hash_file(path: Path, part_size: int = DEFAULT_PART_SIZE, *,
              progress: bool = False) -> FileDigest:
    """Whole-file SHA-256 and per-part SHA-256s, in one read of the file. The whole-file
    digest is updated on a second thread while this one hashes the part (hashlib releases
    the GIL on large buffers), so the two digests cost about one."""
    size = path.stat().st_size
    ranges = part_ranges(size, part_size)
    whole = hashlib.sha256()
    digests: list[PartDigest] = []
    with path.open("rb") as f, progress_bar(size, "hashing", progress) as bar, \
            ThreadPoolExecutor(max_workers=1) as beside:
        pending: Future[None] | None = None
        for number, (offset, length) in enumerate(ranges, start=1):
            part = hashlib.sha256()
            left = length
            while left:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    raise TransferError(f"{path} shrank while it was being read")
                if pending is not None:
                    pending.result()  # chunks reach the whole-file digest in order
                pending = beside.submit(whole.update, chunk)
                part.update(chunk)
                left -= len(chunk)
                bar.update(len(chunk))
            digests.append(PartDigest(number, offset, length, part.hexdigest()))
        if pending is not None:
            pending.result()
        if f.read(1):
            raise TransferError(f"{path} grew while it was being read")
    return FileDigest(size, whole.hexdigest(), part_size, tuple(digests))


def where(url: str) -> str:
    """The host and path of a presigned URL, without its signed query."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def _store_error(response: requests.Response, what: str) -> TransferError:
    match = re.search(r"<Code>([^<]{1,64})</Code>", response.text or "")
    detail = match.group(1) if match else (response.reason or "")
    return TransferError(f"{what}: the store answered HTTP {response.status_code} {detail}".strip(),
                         status=response.status_code)


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, TransferError):
        return exc.status in STORE_RETRY_STATUSES
    return isinstance(exc, requests.ConnectionError | requests.Timeout
                      | requests.exceptions.ChunkedEncodingError)


def _unreachable(exc: requests.RequestException, url: str) -> TransferError:
    """A transport failure named by host and path only (the query is a capability)."""
    return TransferError(f"{where(url)}: the store could not be reached or stopped answering "
                         f"({type(exc).__name__})")


def _retrying(attempts: int, sleep: Callable[[float], None]) -> Retrying:
    return Retrying(stop=stop_after_attempt(max(1, attempts)),
                    wait=wait_random_exponential(multiplier=0.5, max=8.0),
                    retry=retry_if_exception(_transient), sleep=sleep, reraise=True)


class _FileSlice:
    """`size` bytes of an open file from `offset`, read as a stream by `requests` (its
    length sets Content-Length); reports each chunk to `on_read`."""

    def __init__(self, f: BinaryIO, offset: int, size: int,
                 on_read: Callable[[int], None]) -> None:
        f.seek(offset)
        self._f = f
        self._left = size
        self._size = size
        self._on_read = on_read

    def __len__(self) -> int:
        return self._size

    def read(self, n: int = -1) -> bytes:
        want = self._left if n is None or n < 0 else min(n, self._left)
        chunk = self._f.read(min(want, CHUNK)) if want else b""
        self._left -= len(chunk)
        if chunk:
            self._on_read(len(chunk))
        return chunk


class _Progress:
    """A bar shared by threads; an attempt that fails takes its bytes back."""

    def __init__(self, bar: tqdm) -> None:
        self._bar = bar
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self._bar.update(n)


def _put_part(path: Path, request: Mapping[str, Any], progress: _Progress,
              timeout: tuple[float, float]) -> str:
    """One PUT of bytes [offset, offset+size) with exactly the plan's headers."""
    sent = 0

    def count(n: int) -> None:
        nonlocal sent
        sent += n
        progress.add(n)

    what = f"part {request.get('part_number') or 1} to {where(str(request['url']))}"
    try:
        with path.open("rb") as f, requests.Session() as session:
            body = _FileSlice(f, int(request["offset"]), int(request["size"]), count)
            response = session.request(str(request.get("method") or "PUT"), request["url"],
                                       data=body, headers=dict(request.get("headers") or {}),
                                       timeout=timeout, allow_redirects=False)
        if response.status_code >= 300:
            raise _store_error(response, what)
    except BaseException:
        progress.add(-sent)
        raise
    return response.headers.get("ETag", "")


def upload(path: Path, plan: Mapping[str, Any], *, concurrency: int = DEFAULT_CONCURRENCY,
           progress: bool = True, attempts: int = 4, sleep: Callable[[float], None] = time.sleep,
           timeout: tuple[float, float] = TRANSFER_TIMEOUT) -> list[dict[str, Any]]:
    """PUT every request of an upload plan, parts in parallel, each retried on transient
    failures. Returns `[{"part_number", "etag"}]` in part order (empty for a single PUT).

    A refused request (e.g. 403 once the URLs expired) raises `TransferError` with the
    store's status; the caller may ask the hub for a fresh plan and call again.
    """
    requests_ = list(plan["requests"])
    total = sum(int(r["size"]) for r in requests_)
    multipart = plan.get("mode") == "multipart"
    etags: dict[int, str] = {}
    with progress_bar(total, "upload", progress) as bar, \
            ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(requests_)))) as pool:
        shared = _Progress(bar)
        futures = {pool.submit(_retrying(attempts, sleep), _put_part, path, r, shared,
                               timeout): r for r in requests_}
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in done:
            if isinstance(error := future.exception(), requests.RequestException):
                raise _unreachable(error, str(futures[future]["url"])) from error
            if error is not None:
                raise error
        for future, request in futures.items():
            etag = future.result()
            number = int(request.get("part_number") or 1)
            if multipart and not etag:
                raise TransferError(f"the store gave no ETag for part {number}")
            etags[number] = etag
    if not multipart:
        return []
    return [{"part_number": n, "etag": etags[n]} for n in sorted(etags)]


def _stream_to(response: requests.Response, f: BinaryIO, bar: tqdm) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    for chunk in response.iter_content(CHUNK):
        f.write(chunk)
        digest.update(chunk)
        size += len(chunk)
        bar.update(len(chunk))
    return size, digest.hexdigest()


def _download_once(grant: Mapping[str, Any], tmp: Path, progress: bool,
                   timeout: tuple[float, float]) -> tuple[int, str]:
    with requests.Session() as session, session.request(
            str(grant.get("method") or "GET"), grant["url"],
            headers=dict(grant.get("headers") or {}), stream=True, timeout=timeout,
            allow_redirects=False) as response:
        if response.status_code >= 300:
            raise _store_error(response, f"download from {where(str(grant['url']))}")
        with tmp.open("wb") as f, progress_bar(int(grant.get("size") or 0), "download",
                                               progress) as bar:
            result = _stream_to(response, f, bar)
            f.flush()
            os.fsync(f.fileno())
        return result


def _get_range(grant: Mapping[str, Any], offset: int, length: int,
               timeout: tuple[float, float]) -> bytes:
    """One ranged GET of the presigned URL (the Range header is not part of what the URL
    signs), which must answer exactly those bytes."""
    headers = {**dict(grant.get("headers") or {}),
               "Range": f"bytes={offset}-{offset + length - 1}"}
    what = f"bytes {offset}-{offset + length - 1} from {where(str(grant['url']))}"
    with requests.Session() as session, session.request(
            str(grant.get("method") or "GET"), grant["url"], headers=headers, stream=True,
            timeout=timeout, allow_redirects=False) as response:
        if response.status_code >= 300:
            raise _store_error(response, what)
        data = b"".join(response.iter_content(CHUNK)) if response.status_code == 206 else b""
    if len(data) != length:
        raise TransferError(f"{what}: the store did not answer the range "
                            f"(HTTP {response.status_code}, {len(data)} bytes)")
    return data


def _download_ranges(grant: Mapping[str, Any], tmp: Path, *, progress: bool,
                     timeout: tuple[float, float], part_size: int, concurrency: int,
                     attempts: int, sleep: Callable[[float], None]) -> tuple[int, str]:
    """Parts fetched and written at their offsets in parallel (each retried on its own),
    hashed in order as they arrive; at most twice `concurrency` parts are in memory."""
    size = int(grant["size"])
    ranges = iter(part_ranges(size, part_size))
    digest = hashlib.sha256()
    window: deque[Future[bytes]] = deque()
    with tmp.open("wb") as f, progress_bar(size, "download", progress) as bar, \
            ThreadPoolExecutor(max_workers=concurrency) as pool:
        def fetch_and_write(offset: int, length: int) -> bytes:
            data: bytes = _retrying(attempts, sleep)(_get_range, grant, offset, length,
                                                    timeout)
            os.pwrite(f.fileno(), data, offset)
            return data

        def ahead() -> None:
            while len(window) < 2 * concurrency and (r := next(ranges, None)) is not None:
                window.append(pool.submit(fetch_and_write, *r))

        try:
            ahead()
            while window:
                data = window.popleft().result()
                ahead()
                digest.update(data)
                bar.update(len(data))
        except BaseException:
            for future in window:
                future.cancel()
            raise
        f.flush()
        os.fsync(f.fileno())
    return size, digest.hexdigest()


def download(grant: Mapping[str, Any], dest: Path, *, progress: bool = True,
             attempts: int = 3, sleep: Callable[[float], None] = time.sleep,
             timeout: tuple[float, float] = TRANSFER_TIMEOUT,
             part_size: int = DEFAULT_PART_SIZE,
             concurrency: int = DEFAULT_CONCURRENCY) -> Downloaded:
    """Download a fetch grant into a temporary file beside `dest`, hashing as it comes, and
    rename it to `dest` only if the SHA-256 (and size) match the grant. On a mismatch the
    partial file is deleted and `ChecksumMismatchError` carries the computed digest.

    Content larger than one part comes as ranged GETs, `concurrency` at a time; smaller
    content (or `concurrency=1`) as one stream."""
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        try:
            if concurrency > 1 and int(grant.get("size") or 0) > part_size:
                size, sha256 = _download_ranges(
                    grant, tmp, progress=progress, timeout=timeout, part_size=part_size,
                    concurrency=concurrency, attempts=attempts, sleep=sleep)
            else:
                size, sha256 = _retrying(attempts, sleep)(_download_once, grant, tmp,
                                                          progress, timeout)
        except requests.RequestException as exc:
            raise _unreachable(exc, str(grant["url"])) from exc
        expected = str(grant["sha256"]).lower()
        if sha256 != expected or size != int(grant.get("size", size)):
            raise ChecksumMismatchError(expected, sha256, size)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return Downloaded(dest, size, sha256)
