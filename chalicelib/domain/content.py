"""The content of one exchange (R-SEND-2/3, R-PROP-2): how it is uploaded (one PUT or
declared parts), what checksum the store must report for it, and which stored parts
count as uploaded. Pure functions.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import (
    ContentMismatchError,
    InvalidRequestError,
    PayloadTooLargeError,
)
from .ports import StoredPart
from .schemas import ContentDeclaration

S3_MIN_PART = 5 * 1024 * 1024
S3_MAX_SINGLE = 5 * 1024 * 1024 * 1024






def hex_to_b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


@dataclass(frozen=True)
class PlannedPart:
    number: int
    offset: int
    size: int
    sha256_b64: str


@dataclass(frozen=True)
class ContentPlan:
    """How the content is uploaded: one PUT (`parts` empty) or several parts."""

    mode: str
    parts: tuple[PlannedPart, ...]

    @property
    def multipart(self) -> bool:
        return self.mode == "multipart"


def plan_content(content: ContentDeclaration, *, single_max: int, min_part: int,
                 max_total: int) -> ContentPlan:
    """Choose single PUT or multipart and check the declared parts add up."""
    if content.size > max_total:
        raise PayloadTooLargeError(
            f"The content is {content.size} bytes; the limit is {max_total} bytes.")
    if content.size <= min(single_max, S3_MAX_SINGLE):
        return ContentPlan("single", ())
    parts = content.parts
    if not parts:
        raise InvalidRequestError(
            f"Content above {single_max} bytes is uploaded in parts: declare content.parts "
            "(size and sha256 of each).", code="parts_required")
    part_size = parts[0].size
    if part_size < max(min_part, S3_MIN_PART):
        raise InvalidRequestError(f"Parts must be at least {max(min_part, S3_MIN_PART)} bytes "
                                  "(all but the last).", code="invalid_parts")
    if any(p.size != part_size for p in parts[:-1]) or parts[-1].size > part_size:
        raise InvalidRequestError("All parts but the last must have the same size, and the "
                                  "last may not be larger.", code="invalid_parts")
    if sum(p.size for p in parts) != content.size:
        raise InvalidRequestError("The parts' sizes do not add up to content.size.",
                                  code="invalid_parts")
    planned, offset = [], 0
    for number, part in enumerate(parts, start=1):
        planned.append(PlannedPart(number, offset, part.size, hex_to_b64(part.sha256)))
        offset += part.size
    return ContentPlan("multipart", tuple(planned))


def composite_sha256_b64(part_digests_b64: list[str]) -> str:
    """The checksum S3 reports for a multipart object: sha256 of the part digests, '-N'."""
    joined = b"".join(base64.b64decode(d) for d in part_digests_b64)
    digest = base64.b64encode(hashlib.sha256(joined).digest()).decode("ascii")
    return f"{digest}-{len(part_digests_b64)}"


def expected_checksum(sha256_hex: str, plan: ContentPlan) -> str:
    """What the store must report for the content once uploaded as planned."""
    if plan.multipart:
        return composite_sha256_b64([p.sha256_b64 for p in plan.parts])
    return hex_to_b64(sha256_hex)


def check_stored(*, declared_size: int, expected_b64: str, stored_size: int,
                 stored_b64: str | None) -> None:
    """The hub's own integrity check of what landed in the store (R-PROP-2)."""
    if stored_size != declared_size:
        raise ContentMismatchError(
            f"The uploaded content is {stored_size} bytes; {declared_size} were declared.",
            code="size_mismatch")
    if stored_b64 is None or stored_b64 != expected_b64:
        raise ContentMismatchError("The uploaded content does not match the declared SHA-256.")






def held_parts(plan: ContentPlan, stored: Sequence[StoredPart]) -> dict[int, str]:
    """The ETag of each planned part the store already holds as declared: its planned
    size and, where the store reports one, the declared SHA-256 (a part with other bytes
    is uploaded again, overwriting it). Where the store reports no part checksum
    (SeaweedFS), the part could only have entered through a presigned PUT that signed the
    declared SHA-256, which the store enforces; completion checks the whole again."""
    planned = {p.number: p for p in plan.parts}
    held: dict[int, str] = {}
    for part in stored:
        want = planned.get(part.part_number)
        if want is None or part.size != want.size:
            continue
        if part.sha256_b64 is not None and part.sha256_b64 != want.sha256_b64:
            continue
        held[part.part_number] = part.etag
    return held
