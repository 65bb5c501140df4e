"""EDXML: peak traced memory (tracemalloc) while reading an edXML package streamed from a
generator, 300 MiB of attachments against 3 MiB; the reader should cost the same for both
(target ratio <= 1.5). Timing is reported beside it, not judged."""

from __future__ import annotations

import base64
import io
import random
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

from chalicelib.domain.edxml.reader import PackageReader
from chalicelib.domain.edxml.writer import BLOCK, AttachmentSource, write_package
from tests.unit.edxml_samples import DECISION

CHUNK = 64 * 1024


def package(mib: int, attachments: int = 3) -> Iterator[bytes]:
    """A valid package whose `attachments` carry `mib` MiB in all, yielded in 64 KiB
    chunks: the sample decision's header, then base64 made block by block."""
    from chalicelib.domain.edxml.reader import read_package
    sample = read_package([DECISION.read_bytes()])
    assert sample.header is not None and sample.trace_header_list is not None
    shell = io.BytesIO()
    write_package(shell, sample.header, sample.trace_header_list, [
        AttachmentSource(f"part-{n}.bin", "application/octet-stream", io.BytesIO())
        for n in range(attachments)])
    pieces = shell.getvalue().split(b">\n</Attachment>")
    line = base64.encodebytes(random.Random(7).randbytes(BLOCK))
    blocks = mib * 1024 * 1024 // BLOCK // attachments
    yield from _chunks(pieces[0])
    for piece in pieces[1:]:
        yield b">\n"
        for _ in range(blocks):
            yield from _chunks(line)
        yield from _chunks(b"</Attachment>" + piece)


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start:start + CHUNK]


def _measure(mib: int) -> dict[str, Any]:
    chunks = package(mib)
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    reader = PackageReader()
    fed = 0
    for chunk in chunks:
        fed += len(chunk)
        reader.feed(chunk)
    result = reader.close()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"attachments_mib": round(sum(a.size for a in result.attachments) / 2**20, 1),
            "package_mib": round(fed / 2**20, 1), "peak_kib": round(peak / 1024, 1),
            "seconds": round(seconds, 2),
            "mib_per_s": round(fed / 2**20 / seconds, 1)}


def run(big_mib: int = 300, small_mib: int = 3) -> dict[str, Any]:
    small, big = _measure(small_mib), _measure(big_mib)
    ratio = round(big["peak_kib"] / small["peak_kib"], 3)
    return {"small": small, "big": big, "peak_ratio": ratio, "target": 1.5,
            "met": ratio <= 1.5}
