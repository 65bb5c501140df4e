"""Moving content: hashing and upload to the exchange space (`download` has the way back).

Files are streamed in 1 MiB chunks and never held in memory whole. Uploads and downloads
go straight to the presigned URLs the hub hands out (not through the hub), so they are not
signed; their URLs are capabilities and are never printed, only their host and path.
"""

from __future__ import annotations

import hashlib
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from lgsp_client.errors import TransferError
from lgsp_client.grants import Lease
from lgsp_client.progress import Meter, meter

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


def part_ranges(size: int, part_size: int = DEFAULT_PART_SIZE) -> list[tuple[int, int]]:
    """(offset, size) of each part: all `part_size` except a shorter last one."""
    if part_size < MIN_PART_SIZE:
        raise ValueError(f"part size must be at least {MIN_PART_SIZE} bytes")
    return [(offset, min(part_size, size - offset)) for offset in range(0, size, part_size)]


def hash_file(path: Path, part_size: int = DEFAULT_PART_SIZE, *,
              progress: bool = False) -> FileDigest:
    """Whole-file SHA-256 and per-part SHA-256s, in one read of the file. The whole-file
    digest is updated on a second thread while this one hashes the part (hashlib releases
    the GIL on large buffers), so the two digests cost about one."""
    size = path.stat().st_size
    ranges = part_ranges(size, part_size)
    whole = hashlib.sha256()
    digests: list[PartDigest] = []
    with path.open("rb") as f, meter(size, "hashing", progress) as bar, \
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


def store_error(response: requests.Response, what: str) -> TransferError:
    """The store's refusal, with its status and error code (never the signed query)."""
    match = re.search(r"<Code>([^<]{1,64})</Code>", response.text or "")
    code = match.group(1) if match else ""
    detail = code or response.reason or ""
    return TransferError(f"{what}: the store answered HTTP {response.status_code} {detail}".strip(),
                         status=response.status_code, store_code=code)


def transient(exc: BaseException) -> bool:
    if isinstance(exc, TransferError):
        return exc.status in STORE_RETRY_STATUSES
    return isinstance(exc, requests.ConnectionError | requests.Timeout
                      | requests.exceptions.ChunkedEncodingError)


def unreachable(exc: requests.RequestException, url: str) -> TransferError:
    """A transport failure named by host and path only (the query is a capability)."""
    return TransferError(f"{where(url)}: the store could not be reached or stopped answering "
                         f"({type(exc).__name__})")


def retrying(attempts: int, sleep: Callable[[float], None]) -> Retrying:
    return Retrying(stop=stop_after_attempt(max(1, attempts)),
                    wait=wait_random_exponential(multiplier=0.5, max=8.0),
                    retry=retry_if_exception(transient), sleep=sleep, reraise=True)


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


def _put_part(path: Path, request: Mapping[str, Any], progress: Meter,
              timeout: tuple[float, float]) -> str:
    """One PUT of bytes [offset, offset+size) with exactly the plan's headers; an attempt
    that fails takes its bytes back from the progress shown."""
    sent = 0

    def count(n: int) -> None:
        nonlocal sent
        sent += n
        progress.update(n)

    what = f"part {request.get('part_number') or 1} to {where(str(request['url']))}"
    try:
        with path.open("rb") as f, requests.Session() as session:
            body = _FileSlice(f, int(request["offset"]), int(request["size"]), count)
            response = session.request(str(request.get("method") or "PUT"), request["url"],
                                       data=body, headers=dict(request.get("headers") or {}),
                                       timeout=timeout, allow_redirects=False)
        if response.status_code >= 300:
            raise store_error(response, what)
    except BaseException:
        progress.update(-sent)
        raise
    return response.headers.get("ETag", "")


def _number(request: Mapping[str, Any]) -> int:
    return int(request.get("part_number") or 1)


def held_etags(plan: Mapping[str, Any]) -> dict[int, str]:
    """The parts the store already holds (`uploaded` of a resumed plan), by number."""
    return {int(p["part_number"]): str(p["etag"]) for p in plan.get("uploaded") or []}


def _upload_part(path: Path, number: int, lease: Lease, *, shown: Meter, attempts: int,
                 sleep: Callable[[float], None], timeout: tuple[float, float]) -> str:
    """PUT part `number` with the current plan's request for it, retried on transient
    failures; when the store refuses the plan's URL, with a fresh plan's."""
    def put(plan: Mapping[str, Any]) -> str:
        if (held := held_etags(plan).get(number)) is not None:
            return held  # a fresh plan says the store has it already
        request = next((r for r in plan["requests"] if _number(r) == number), None)
        if request is None:
            raise TransferError(f"the upload plan has no request for part {number}")
        etag: str = retrying(attempts, sleep)(_put_part, path, request, shown, timeout)
        return etag

    return lease.attempt(put)


def upload(path: Path, plan: Mapping[str, Any], *, concurrency: int = DEFAULT_CONCURRENCY,
           progress: bool = True, attempts: int = 4, sleep: Callable[[float], None] = time.sleep,
           timeout: tuple[float, float] = TRANSFER_TIMEOUT,
           refresh: Callable[[], Mapping[str, Any]] | None = None,
           now: Callable[[], float] = time.time,
           on_renew: Callable[[str], None] | None = None,
           on_part: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """PUT every request of an upload plan, parts in parallel, each retried on transient
    failures. Returns `[{"part_number", "etag"}]` in part order (empty for a single PUT).

    Parts the plan lists as `uploaded` (held by the store from an earlier run) are not
    sent again; their ETags are returned with the others. With `refresh` (a call for a
    fresh plan, `GET /v1/messages/{id}/upload`), a plan whose `expires_at` (read on the
    hub's clock `now`) is near is renewed before a part starts, and a part the store
    refuses (403, e.g. an expired URL) is sent again with a fresh plan, keeping the parts
    already done. Without it, or when renewing does not help, the refusal raises
    `TransferError` with the store's status. `on_part(number)` is called after each part
    is stored (a hook for progress or tests).
    """
    multipart = plan.get("mode") == "multipart"
    held = held_etags(plan)
    todo = [r for r in plan["requests"] if _number(r) not in held]
    total = sum(int(r["size"]) for r in todo)
    lease = Lease(plan, refresh, now=now, on_renew=on_renew)
    etags: dict[int, str] = dict(held)
    with meter(total, "upload", progress) as shown, \
            ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(todo)))) as pool:
        def one(number: int) -> str:
            etag = _upload_part(path, number, lease, shown=shown, attempts=attempts,
                                sleep=sleep, timeout=timeout)
            if on_part is not None:
                on_part(number)
            return etag

        futures = {pool.submit(one, _number(r)): r for r in todo}
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in done:
            if isinstance(error := future.exception(), requests.RequestException):
                raise unreachable(error, str(futures[future]["url"])) from error
            if error is not None:
                raise error
        for future, request in futures.items():
            etags[_number(request)] = future.result()
    if not multipart:
        return []
    for number, etag in etags.items():
        if not etag:
            raise TransferError(f"the store gave no ETag for part {number}")
    return [{"part_number": n, "etag": etags[n]} for n in sorted(etags)]
