"""The edXML writer: what it writes the reader reads back, header and attachments'
SHA-256 alike, with attachments of several MiB streamed from a seeded source (R-PROP-2)."""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import replace

from chalicelib.domain.edxml.reader import PackageReader, read_package
from chalicelib.domain.edxml.rules import problems
from chalicelib.domain.edxml.writer import AttachmentSource, write_package
from tests.unit.edxml_samples import DECISION


class SeededStream(io.RawIOBase):
    """`size` pseudo-random bytes from `seed` (a seeded block of a prime length, repeated,
    so the bytes do not depend on the reads), handed out in short, uneven reads."""

    def __init__(self, seed: int, size: int) -> None:
        self._block = random.Random(seed).randbytes(65_521)
        self._reads = random.Random(-seed)
        self._at, self._left = 0, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self._left, self._reads.randint(1, 70_000))
        start = self._at % len(self._block)
        piece = (self._block[start:] + self._block)[:n]
        buffer[:len(piece)] = piece
        self._at += len(piece)
        self._left -= len(piece)
        return len(piece)


def _expected(seed: int, size: int) -> str:
    stream, digest = SeededStream(seed, size), hashlib.sha256()
    while chunk := stream.read(65536):
        digest.update(chunk)
    return digest.hexdigest()


def test_writer_to_reader_round_trip_with_attachments_of_several_mib() -> None:
    source = read_package([DECISION.read_bytes()])
    assert source.header is not None and source.trace_header_list is not None
    header = replace(source.header, subject="Ký tự đặc biệt: <a> & \"b\" — 'c'")
    sizes = {1: 3 * 1024 * 1024 + 1, 2: 5 * 1024 * 1024 + 2, 3: 0}
    out = io.BytesIO()
    written = write_package(out, header, source.trace_header_list, [
        AttachmentSource(f"file-{seed}.bin", "application/octet-stream",
                         SeededStream(seed, size))  # type: ignore[arg-type]
        for seed, size in sizes.items()])
    expected = [_expected(seed, size) for seed, size in sizes.items()]
    assert [w.sha256 for w in written] == expected
    assert [w.size for w in written] == list(sizes.values())

    reader, data = PackageReader(), out.getvalue()
    for start in range(0, len(data), 99_991):  # chunks that split lines and quadruples
        reader.feed(data[start:start + 99_991])
    package = reader.close()
    assert problems(package) == []
    assert package.header == header and package.trace_header_list == source.trace_header_list
    assert [(a.content_id, a.name, a.size, a.sha256) for a in package.attachments] == [
        (f"cid:{n}", f"file-{n}.bin", sizes[n], expected[n - 1]) for n in sizes]
    assert [r.content_id for r in package.references] == ["cid:1", "cid:2", "cid:3"]
