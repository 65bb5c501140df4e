"""R-SEND-2 / R-PROP-2: the content plan and the hub's integrity check."""

import base64
import hashlib

import pytest

from chalicelib.domain.content import (
    check_stored,
    composite_sha256_b64,
    expected_checksum,
    plan_content,
)
from chalicelib.domain.errors import ContentMismatchError, InvalidRequestError, PayloadTooLargeError
from chalicelib.domain.lifecycle import inbox_sort_key
from chalicelib.domain.priority import Priority
from chalicelib.domain.schemas import ContentDeclaration, PartDeclaration

MiB = 1024 * 1024
SHA = "a" * 64


def decl(size: int, parts: list[int] | None = None) -> ContentDeclaration:
    return ContentDeclaration(size=size, sha256=SHA, file_name="x.pdf",
                              parts=[PartDeclaration(size=p, sha256=SHA) for p in parts]
                              if parts else None)


def plan(c: ContentDeclaration):  # type: ignore[no-untyped-def]
    return plan_content(c, single_max=16 * MiB, min_part=5 * MiB, max_total=100 * MiB)


def test_small_content_is_one_put_even_with_parts_declared() -> None:
    assert plan(decl(10 * MiB, [8 * MiB, 2 * MiB])).mode == "single"


def test_an_empty_document_is_one_put_of_the_empty_content() -> None:
    """R-PROP-1: a 0-byte document is a legitimate exchange; its one PUT carries the
    SHA-256 of no bytes, which the store records and the hub checks like any other."""
    empty = hashlib.sha256(b"").hexdigest()
    p = plan(ContentDeclaration(size=0, sha256=empty, file_name="empty.txt"))
    assert (p.mode, p.parts) == ("single", ())
    expected = expected_checksum(empty, p)
    assert expected == base64.b64encode(hashlib.sha256(b"").digest()).decode()
    check_stored(declared_size=0, expected_b64=expected, stored_size=0, stored_b64=expected)


def test_negative_sizes_are_still_refused() -> None:
    with pytest.raises(ValueError):
        ContentDeclaration(size=-1, sha256=SHA, file_name="x.pdf")
    with pytest.raises(ValueError):
        PartDeclaration(size=0, sha256=SHA)


def test_large_content_uses_the_declared_parts_with_offsets() -> None:
    p = plan(decl(20 * MiB, [8 * MiB, 8 * MiB, 4 * MiB]))
    assert p.multipart
    assert [(x.number, x.offset, x.size) for x in p.parts] == [
        (1, 0, 8 * MiB), (2, 8 * MiB, 8 * MiB), (3, 16 * MiB, 4 * MiB)]


@pytest.mark.parametrize(("size", "parts", "code"), [
    (20 * MiB, None, "parts_required"),
    (20 * MiB, [4 * MiB] * 5, "invalid_parts"),
    (20 * MiB, [8 * MiB, 6 * MiB, 6 * MiB], "invalid_parts"),
    (20 * MiB, [8 * MiB, 8 * MiB, 3 * MiB], "invalid_parts"),
    (20 * MiB, [6 * MiB, 6 * MiB, 8 * MiB], "invalid_parts"),
])
def test_bad_part_declarations_are_refused(size: int, parts: list[int] | None,
                                           code: str) -> None:
    with pytest.raises(InvalidRequestError) as err:
        plan(decl(size, parts))
    assert err.value.code == code


def test_content_over_the_limit_is_413() -> None:
    with pytest.raises(PayloadTooLargeError) as err:
        plan(decl(101 * MiB, [8 * MiB] * 12 + [5 * MiB]))
    assert err.value.status == 413


def test_composite_checksum_matches_s3_definition() -> None:
    digests = [hashlib.sha256(b).digest() for b in (b"one", b"two")]
    expected = base64.b64encode(hashlib.sha256(b"".join(digests)).digest()).decode() + "-2"
    assert composite_sha256_b64([base64.b64encode(d).decode() for d in digests]) == expected


def test_stored_object_must_match_size_and_checksum() -> None:
    p = plan(decl(10))
    good = expected_checksum(SHA, p)
    check_stored(declared_size=10, expected_b64=good, stored_size=10, stored_b64=good)
    with pytest.raises(ContentMismatchError) as err:
        check_stored(declared_size=10, expected_b64=good, stored_size=11, stored_b64=good)
    assert err.value.code == "size_mismatch"
    for stored in (None, "AAAA"):
        with pytest.raises(ContentMismatchError) as err:
            check_stored(declared_size=10, expected_b64=good, stored_size=10, stored_b64=stored)
        assert err.value.code == "checksum_mismatch"


def test_inbox_key_orders_priority_then_age() -> None:
    keys = [inbox_sort_key(Priority.THUONG.rank, 100, "a"),
            inbox_sort_key(Priority.HOA_TOC.rank, 300, "b"),
            inbox_sort_key(Priority.HOA_TOC.rank, 200, "c"),
            inbox_sort_key(Priority.KHAN.rank, 50, "d")]
    assert [k[-1] for k in sorted(keys)] == ["c", "b", "d", "a"]
