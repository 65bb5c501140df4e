"""Transfers longer than their presigned URLs, and resumed ones (R-PROP-5): a grant renewed
before it runs out or once the store refuses it, with the parts already done kept; parts
the store holds are not sent again; a stopped download continues from its `.part` file."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from lgsp_client.download import download
from lgsp_client.errors import TransferError
from lgsp_client.transfer import MIN_PART_SIZE, upload
from tests.client.server import Received, Reply, serve
from tests.client.test_transfer import RangedStore, Store, grant_for, make_plan


@pytest.fixture
def payload(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(100_000)
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return path, data


def generation_of(r: Received) -> str:
    return urllib.parse.parse_qs(r.path.partition("?")[2]).get("g", [""])[0]


class ExpiringStore(Store):
    """A store whose URLs carry a generation (`g=N`): URLs of a generation listed in
    `expired` are refused with 403 AccessDenied, as S3 refuses an expired presigned URL."""

    def __init__(self) -> None:
        super().__init__()
        self.expired: set[str] = set()
        self.refused: list[str] = []

    def __call__(self, r: Received) -> Reply:
        if generation_of(r) in self.expired:
            self.refused.append(r.path.partition("?")[0])
            return Reply(403, b"<Error><Code>AccessDenied</Code>"
                              b"<Message>Request has expired</Message></Error>")
        return super().__call__(r)


def generation(plan: dict[str, Any], g: int, expires_at: str = "2999-01-01T00:00:00Z"
               ) -> dict[str, Any]:
    return {**plan, "expires_at": expires_at, "requests": [
        {**r, "url": r["url"].replace("?", f"?g={g}&")} for r in plan["requests"]]}


def test_a_refused_part_gets_a_fresh_plan_and_done_parts_are_kept(
        payload: tuple[Path, bytes]) -> None:
    path, data = payload
    handler = ExpiringStore()
    with serve(handler) as server:
        base = make_plan(server.url, data, 25_000)  # four parts
        refreshes: list[int] = []

        def refresh() -> dict[str, Any]:
            refreshes.append(1)
            return generation(base, 2)

        def between(number: int) -> None:
            if number == 1:
                handler.expired.add("1")  # the first plan's URLs expire after part 1

        etags = upload(path, generation(base, 1), concurrency=1, progress=False,
                       refresh=refresh, on_part=between)
    assert [e["part_number"] for e in etags] == [1, 2, 3, 4]
    assert refreshes == [1]
    assert handler.refused == ["/bucket/obj/2"]
    puts = [r.path.partition("?")[0] for r in server.received if r.method == "PUT"]
    assert sorted(puts) == sorted(["/bucket/obj/1", "/bucket/obj/2", "/bucket/obj/2",
                                   "/bucket/obj/3", "/bucket/obj/4"])
    assert b"".join(handler.parts[f"/bucket/obj/{n}"] for n in range(1, 5)) == data


def test_a_plan_about_to_expire_is_renewed_before_the_next_part(
        payload: tuple[Path, bytes]) -> None:
    path, data = payload
    handler = ExpiringStore()
    clock = [1_000_000.0]
    with serve(handler) as server:
        base = make_plan(server.url, data, 50_000)  # two parts
        first = generation(base, 1, "1970-01-12T13:46:50Z")  # 1_000_010: 10 s of life
        reasons: list[str] = []

        def between(number: int) -> None:
            clock[0] += 8  # two seconds left: under half its life

        upload(path, first, concurrency=1, progress=False, now=lambda: clock[0],
               refresh=lambda: generation(base, 2), on_renew=reasons.append,
               on_part=between)
    assert reasons == ["expiring"]
    assert handler.refused == []
    urls = [r.path for r in server.received if r.method == "PUT"]
    assert [u.partition("?")[2][:3] for u in urls] == ["g=1", "g=2"]


def test_renewing_that_does_not_help_gives_up_with_the_refusal(
        payload: tuple[Path, bytes]) -> None:
    path, data = payload
    handler = ExpiringStore()
    handler.expired.update({"1", "2"})
    with serve(handler) as server, pytest.raises(TransferError) as err:
        base = make_plan(server.url, data, len(data))
        upload(path, generation(base, 1), progress=False,
               refresh=lambda: generation(base, 2))
    assert err.value.status == 403 and err.value.store_code == "AccessDenied"
    assert len(handler.refused) == 4  # the first URL, then three fresh ones


def test_parts_the_store_holds_are_not_sent_again(payload: tuple[Path, bytes]) -> None:
    path, data = payload
    with serve(Store()) as server:
        plan = make_plan(server.url, data, 25_000)
        plan["uploaded"] = [{"part_number": 1, "etag": '"held-1"'},
                            {"part_number": 3, "etag": '"held-3"'}]
        plan["requests"] = [r for r in plan["requests"] if r["part_number"] in (2, 4)]
        etags = upload(path, plan, progress=False)
    assert [(e["part_number"], e["etag"][:6]) for e in etags] == [
        (1, '"held-'), (2, '"etag-'), (3, '"held-'), (4, '"etag-')]
    assert sorted(r.path.partition("?")[0] for r in server.received) == [
        "/bucket/obj/2", "/bucket/obj/4"]


class ExpiringRanges(RangedStore):
    """Ranged content whose grants carry a generation; expired generations get 403."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.expired: set[str] = set()

    def __call__(self, r: Received) -> Reply:
        if generation_of(r) in self.expired:
            self.ranges.append("refused")
            return Reply(403, b"<Error><Code>AccessDenied</Code></Error>")
        return super().__call__(r)


def generation_grant(url: str, data: bytes, g: int) -> dict[str, Any]:
    grant = grant_for(url, data)
    return {**grant, "url": f"{grant['url']}&g={g}", "expires_at": "2999-01-01T00:00:00Z"}


def test_a_refused_download_part_gets_a_fresh_grant(tmp_path: Path) -> None:
    data = os.urandom(4 * MIN_PART_SIZE + 10)
    ranged = ExpiringRanges(data)
    fresh: list[int] = []

    def between(number: int) -> None:
        ranged.expired.add("1")

    with serve(ranged) as server:
        def refresh() -> dict[str, Any]:
            fresh.append(1)
            return generation_grant(server.url, data, 2)

        got = download(generation_grant(server.url, data, 1), tmp_path / "out.pdf",
                       progress=False, part_size=MIN_PART_SIZE, concurrency=2,
                       refresh=refresh, on_part=between)
    assert (tmp_path / "out.pdf").read_bytes() == data and got.size == len(data)
    assert fresh == [1] and "refused" in ranged.ranges
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_a_fresh_grant_for_other_content_is_refused(tmp_path: Path) -> None:
    data = os.urandom(2 * MIN_PART_SIZE + 1)
    ranged = ExpiringRanges(data)
    ranged.expired.add("1")
    with serve(ranged) as server, pytest.raises(TransferError, match="other content"):
        download(generation_grant(server.url, data, 1), tmp_path / "out.pdf",
                 progress=False, part_size=MIN_PART_SIZE, concurrency=2,
                 refresh=lambda: generation_grant(server.url, b"other" + data, 2))


class Interrupted(Exception):
    pass


def test_an_interrupted_download_resumes_from_the_parts_on_disk(tmp_path: Path) -> None:
    data = os.urandom(5 * MIN_PART_SIZE + 77)  # six parts
    target = tmp_path / "out.pdf"
    first_run: list[int] = []

    def crash_after_two(number: int) -> None:
        first_run.append(number)
        if len(first_run) == 2:
            raise Interrupted

    ranged = RangedStore(data)
    with serve(ranged) as server, pytest.raises(Interrupted):
        download(grant_for(server.url, data), target, progress=False,
                 part_size=MIN_PART_SIZE, concurrency=1, on_part=crash_after_two)
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.pdf.part",
                                                          ".out.pdf.part.journal"]
    second_run: list[int] = []
    ranged = RangedStore(data)
    with serve(ranged) as server:
        got = download(grant_for(server.url, data), target, progress=False,
                       part_size=MIN_PART_SIZE, concurrency=3, on_part=second_run.append)
    assert target.read_bytes() == data and got.sha256 == hashlib.sha256(data).hexdigest()
    assert 2 <= len(first_run) < 6  # the crash, and a part already under way finishing
    assert sorted(first_run + second_run) == [1, 2, 3, 4, 5, 6]
    assert len(ranged.ranges) == len(second_run)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_a_partial_download_of_other_content_is_started_over(tmp_path: Path) -> None:
    old, new = os.urandom(2 * MIN_PART_SIZE + 5), os.urandom(2 * MIN_PART_SIZE + 5)
    target = tmp_path / "out.pdf"

    def crash(number: int) -> None:
        raise Interrupted

    with serve(RangedStore(old)) as server, pytest.raises(Interrupted):
        download(grant_for(server.url, old), target, progress=False,
                 part_size=MIN_PART_SIZE, concurrency=1, on_part=crash)
    fetched: list[int] = []
    with serve(RangedStore(new)) as server:
        download(grant_for(server.url, new), target, progress=False,
                 part_size=MIN_PART_SIZE, concurrency=2, on_part=fetched.append)
    assert target.read_bytes() == new and sorted(fetched) == [1, 2, 3]


def test_a_part_lost_or_damaged_on_disk_since_is_fetched_again(tmp_path: Path) -> None:
    """The journal keeps each part's CRC-32: bytes a power cut lost (or anything else
    changed) after the part was recorded are fetched again on resume, not trusted."""
    data = os.urandom(3 * MIN_PART_SIZE + 5)  # four parts
    target = tmp_path / "out.pdf"
    first_run: list[int] = []

    def crash_after_two(number: int) -> None:
        first_run.append(number)
        if len(first_run) == 2:
            raise Interrupted

    with serve(RangedStore(data)) as server, pytest.raises(Interrupted):
        download(grant_for(server.url, data), target, progress=False,
                 part_size=MIN_PART_SIZE, concurrency=1, on_part=crash_after_two)
    part = tmp_path / ".out.pdf.part"
    with part.open("r+b") as f:  # the first part's bytes never reached the disk
        f.write(b"\0" * 16)
    second_run: list[int] = []
    ranged = RangedStore(data)
    with serve(ranged) as server:
        got = download(grant_for(server.url, data), target, progress=False,
                       part_size=MIN_PART_SIZE, concurrency=2, on_part=second_run.append)
    assert target.read_bytes() == data and got.sha256 == hashlib.sha256(data).hexdigest()
    assert 1 in first_run and len(first_run) < 4  # a part under way may have finished
    assert sorted(second_run) == sorted({1} | ({1, 2, 3, 4} - set(first_run)))
    assert len(ranged.ranges) == len(second_run)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_a_journal_without_checksums_is_started_over(tmp_path: Path) -> None:
    """A journal an older client wrote (part indexes only) cannot be checked: every part
    is fetched again rather than trusted."""
    data = os.urandom(2 * MIN_PART_SIZE + 5)
    target = tmp_path / "out.pdf"
    (tmp_path / ".out.pdf.part").write_bytes(b"\0" * len(data))
    (tmp_path / ".out.pdf.part.journal").write_text(json.dumps(
        {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
         "part_size": MIN_PART_SIZE}) + "\n0\n1\n", encoding="utf-8")
    fetched: list[int] = []
    with serve(RangedStore(data)) as server:
        download(grant_for(server.url, data), target, progress=False,
                 part_size=MIN_PART_SIZE, concurrency=2, on_part=fetched.append)
    assert target.read_bytes() == data and sorted(fetched) == [1, 2, 3]
