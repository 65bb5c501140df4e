"""Downloading a fetch grant: verified, renewed when its URL expires, resumable.

Content larger than one part comes as ranged GETs, `concurrency` at a time, written at
their offsets into `.NAME.part` beside the target. Each part, once written, is recorded in
`.NAME.part.journal` (a header naming the content's size, SHA-256 and part size, then one
line per finished part: its index and the CRC-32 of its bytes). A download that stops (a
killed process, a lost link) leaves both files; the next download of the same content to
the same target reads the finished parts back from disk, keeps each whose CRC-32 still
matches and fetches the others. A journal for other content (another message, another part
size, an older journal without CRC-32s) is thrown away. The file is synced to disk once,
whole, before it gets its name (and so before the hub is told to delete the content), and
its SHA-256 is checked.

Why a CRC-32 per part rather than syncing each part before recording it: a killed process
loses nothing that was written, and a power cut that lost a recorded part's bytes is caught
by the CRC-32 on resume; syncing each part made the disk write synchronously during the
download (about a third of a 256 MiB download's time under load, `docs/performance.md`),
and the CRC-32 costs about 0.04 s of CPU per 256 MiB, in the worker threads.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from lgsp_client.errors import ChecksumMismatchError, TransferError
from lgsp_client.grants import Lease, refused
from lgsp_client.progress import Meter, meter
from lgsp_client.transfer import (
    CHUNK,
    DEFAULT_CONCURRENCY,
    DEFAULT_PART_SIZE,
    TRANSFER_TIMEOUT,
    part_ranges,
    retrying,
    store_error,
    unreachable,
    where,
)

Grant = Mapping[str, Any]


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str


def partial_paths(dest: Path) -> tuple[Path, Path]:
    """The `.part` file and its journal for a download to `dest`."""
    return (dest.with_name(f".{dest.name}.part"), dest.with_name(f".{dest.name}.part.journal"))


class Journal:
    """The finished parts of one `.part` file, appended one per line: `index crc32`."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        self.header = header
        self._lock = threading.Lock()

    def read(self) -> dict[int, int] | None:
        """The finished parts' indexes and CRC-32s, or None when the journal is missing
        or is for other content."""
        try:
            first, *lines = self.path.read_text(encoding="utf-8").splitlines()
            if json.loads(first) != self.header:
                return None
        except (OSError, ValueError):
            return None
        count = len(part_ranges(self.header["size"], self.header["part_size"]))
        done: dict[int, int] = {}
        for line in lines:
            index, _, crc = line.partition(" ")
            if index.isdigit() and crc.isdigit() and int(index) < count:
                done[int(index)] = int(crc)
        return done

    def start(self) -> None:
        self.path.write_text(json.dumps(self.header) + "\n", encoding="utf-8")

    def record(self, index: int, crc: int) -> None:
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(f"{index} {crc}\n")


def _same_content(refresh: Callable[[], Grant], first: Grant) -> Callable[[], Grant]:
    """`refresh`, refusing a fresh grant for other content than the first one."""
    def renewed() -> Grant:
        grant = refresh()
        if (str(grant.get("sha256")), int(grant.get("size") or 0)) != \
                (str(first.get("sha256")), int(first.get("size") or 0)):
            raise TransferError("the hub's fresh grant describes other content")
        return grant
    return renewed


def _get_range(grant: Grant, offset: int, length: int, timeout: tuple[float, float]) -> bytes:
    """One ranged GET of the presigned URL (the Range header is not part of what the URL
    signs), which must answer exactly those bytes."""
    headers = {**dict(grant.get("headers") or {}),
               "Range": f"bytes={offset}-{offset + length - 1}"}
    what = f"bytes {offset}-{offset + length - 1} from {where(str(grant['url']))}"
    with requests.Session() as session, session.request(
            str(grant.get("method") or "GET"), grant["url"], headers=headers, stream=True,
            timeout=timeout, allow_redirects=False) as response:
        if response.status_code >= 300:
            raise store_error(response, what)
        data = b"".join(response.iter_content(CHUNK)) if response.status_code == 206 else b""
    if len(data) != length:
        raise TransferError(f"{what}: the store did not answer the range "
                            f"(HTTP {response.status_code}, {len(data)} bytes)")
    return data


def _get_part(lease: Lease, offset: int, length: int, *, attempts: int,
              sleep: Callable[[float], None], timeout: tuple[float, float]) -> bytes:
    """One part with the current grant, retried on transient failures, and with a fresh
    grant when the store refuses the current one."""
    def get(grant: Mapping[str, Any]) -> bytes:
        data: bytes = retrying(attempts, sleep)(_get_range, grant, offset, length, timeout)
        return data

    return lease.attempt(get)


WRITE_SLICE = 256 * 1024


def _write_at(fd: int, data: bytes, offset: int) -> None:
    """`data` written at `offset` in slices of 256 KiB (the size boto3 writes in). One
    8 MiB `pwrite` per part made the kernel's copy into the page cache the largest cost
    of a download (about half of its time in a profile, 0.72 s for 256 MiB against
    0.43 s in 256 KiB slices, `docs/performance.md`)."""
    view = memoryview(data)
    for start in range(0, len(view), WRITE_SLICE):
        os.pwrite(fd, view[start:start + WRITE_SLICE], offset + start)


@dataclass
class _Ranged:
    """One ranged download into a `.part` file, with its journal."""

    lease: Lease
    fd: int
    journal: Journal
    done: dict[int, int]
    attempts: int
    sleep: Callable[[float], None]
    timeout: tuple[float, float]
    shown: Meter
    on_part: Callable[[int], None] | None

    def part(self, index: int, offset: int, length: int) -> tuple[bytes, int | None]:
        """The part's bytes, and their CRC-32 when they still have to be written: read
        back if an earlier run wrote them and they still have the CRC-32 it recorded,
        else fetched."""
        if index in self.done:
            data = os.pread(self.fd, length, offset)
            if len(data) == length and zlib.crc32(data) == self.done[index]:
                return data, None
            self.shown.update(-length)  # lost or damaged since: fetched again
        data = _get_part(self.lease, offset, length, attempts=self.attempts,
                         sleep=self.sleep, timeout=self.timeout)
        return data, zlib.crc32(data)

    def write(self, index: int, offset: int, data: bytes, crc: int) -> None:
        """A fetched part written at its offset, then recorded."""
        _write_at(self.fd, data, offset)
        self.journal.record(index, crc)
        self.done[index] = crc
        self.shown.update(len(data))
        if self.on_part is not None:
            self.on_part(index + 1)

    def run(self, size: int, part_size: int, concurrency: int) -> str:
        """Every part, `concurrency` fetched at a time, then hashed and written in order
        by this one thread (at most twice `concurrency` parts in memory); returns the
        SHA-256. One writer, in order, as boto3's downloads do."""
        ranges = iter(enumerate(part_ranges(size, part_size)))
        digest = hashlib.sha256()
        window: deque[tuple[int, int, Future[tuple[bytes, int | None]]]] = deque()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            def ahead() -> None:
                while len(window) < 2 * concurrency and (r := next(ranges, None)) is not None:
                    index, (offset, length) = r
                    window.append((index, offset, pool.submit(self.part, index, offset,
                                                              length)))

            try:
                ahead()
                while window:
                    index, offset, future = window.popleft()
                    data, crc = future.result()
                    digest.update(data)
                    if crc is not None:
                        self.write(index, offset, data, crc)
                    ahead()
            except BaseException:
                for _, _, pending in window:
                    pending.cancel()
                raise
        return digest.hexdigest()


def _download_ranges(lease: Lease, dest: Path, *, progress: bool, part_size: int,
                     concurrency: int, attempts: int, sleep: Callable[[float], None],
                     timeout: tuple[float, float], on_part: Callable[[int], None] | None
                     ) -> tuple[Path, str]:
    """Into `dest`'s `.part` file, resuming from its journal; returns the file and the
    SHA-256. A failure keeps both files if any part is on disk, else removes them."""
    size = int(lease.grant["size"])
    part, journal_path = partial_paths(dest)
    journal = Journal(journal_path, {"sha256": str(lease.grant["sha256"]).lower(),
                                     "size": size, "part_size": part_size, "check": "crc32"})
    done = journal.read() if part.exists() else None
    if done is None:
        done = {}
        journal.start()
        part.write_bytes(b"")
    ranges = part_ranges(size, part_size)
    initial = sum(ranges[i][1] for i in done)
    fd = os.open(part, os.O_RDWR)
    try:
        os.ftruncate(fd, size)
        with meter(size, "download", progress, initial=initial) as shown:
            sha256 = _Ranged(lease, fd, journal, done, attempts, sleep, timeout, shown,
                             on_part).run(size, part_size, concurrency)
        os.fsync(fd)
    except BaseException:
        if not done:
            part.unlink(missing_ok=True)
            journal_path.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return part, sha256


def _download_once(grant: Grant, tmp: Path, shown: Meter,
                   timeout: tuple[float, float]) -> tuple[int, str]:
    """The whole content in one GET; an attempt that fails takes its bytes back."""
    digest, size = hashlib.sha256(), 0
    try:
        with requests.Session() as session, session.request(
                str(grant.get("method") or "GET"), grant["url"],
                headers=dict(grant.get("headers") or {}), stream=True, timeout=timeout,
                allow_redirects=False) as response:
            if response.status_code >= 300:
                raise store_error(response, f"download from {where(str(grant['url']))}")
            with tmp.open("wb") as f:
                for chunk in response.iter_content(CHUNK):
                    f.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    shown.update(len(chunk))
                f.flush()
                os.fsync(f.fileno())
    except BaseException:
        shown.update(-size)
        raise
    return size, digest.hexdigest()


def _download_whole(lease: Lease, dest: Path, *, progress: bool, attempts: int,
                    sleep: Callable[[float], None], timeout: tuple[float, float]
                    ) -> tuple[Path, int, str]:
    """Into a temporary file beside `dest` (removed on failure): small content, or
    `concurrency=1`; a refused grant is renewed and the download starts again."""
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        with meter(int(lease.grant.get("size") or 0), "download", progress) as shown:
            while True:
                grant = lease.current()
                try:
                    size, sha256 = retrying(attempts, sleep)(_download_once, grant, tmp,
                                                             shown, timeout)
                    break
                except TransferError as exc:
                    if not refused(exc):
                        raise
                    lease.renew(grant, exc)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, size, sha256


def download(grant: Grant, dest: Path, *, progress: bool = True,
             attempts: int = 3, sleep: Callable[[float], None] = time.sleep,
             timeout: tuple[float, float] = TRANSFER_TIMEOUT,
             part_size: int = DEFAULT_PART_SIZE,
             concurrency: int = DEFAULT_CONCURRENCY,
             refresh: Callable[[], Grant] | None = None,
             now: Callable[[], float] = time.time,
             on_renew: Callable[[str], None] | None = None,
             on_part: Callable[[int], None] | None = None) -> Downloaded:
    """Download a fetch grant to `dest`, renamed to it only if the SHA-256 (and size)
    match the grant. On a mismatch nothing is kept and `ChecksumMismatchError` carries
    the computed digest.

    Content larger than one part comes as ranged GETs, resumable across runs (module
    docstring); smaller content (or `concurrency=1`) as one stream. With `refresh` (a
    call for a fresh grant, `POST /v1/messages/{id}/fetch`), a grant whose `expires_at`
    (on the hub's clock `now`) is near is renewed before a part starts, and a part the
    store refuses (403, e.g. an expired URL) is fetched again with a fresh grant.
    `on_part(number)` is called after each part fetched from the store is written and
    recorded in the journal.
    """
    lease = Lease(grant, _same_content(refresh, grant) if refresh is not None else None,
                  now=now, on_renew=on_renew)
    expected = str(grant["sha256"]).lower()
    declared = int(grant.get("size") or 0)
    try:
        if declared > part_size:
            written, sha256 = _download_ranges(
                lease, dest, progress=progress, part_size=part_size,
                concurrency=concurrency, attempts=attempts, sleep=sleep, timeout=timeout,
                on_part=on_part)
            size = written.stat().st_size
        else:
            written, size, sha256 = _download_whole(lease, dest, progress=progress,
                                                    attempts=attempts, sleep=sleep,
                                                    timeout=timeout)
    except requests.RequestException as exc:
        raise unreachable(exc, str(lease.grant["url"])) from exc
    if sha256 != expected or size != int(grant.get("size", size)):
        written.unlink(missing_ok=True)
        partial_paths(dest)[1].unlink(missing_ok=True)
        raise ChecksumMismatchError(expected, sha256, size)
    os.replace(written, dest)
    with contextlib.suppress(FileNotFoundError):
        partial_paths(dest)[1].unlink()
    return Downloaded(dest, size, sha256)
