"""`lgsp edxml build` agrees with the hub (docs/edxml.md "The client"): for each of the
three sample shapes, the package the client's own writer builds from the sample's values
and attachments is read by the hub's reader with the same header and attachments, and
passes the hub's rules (R-SEND-4). The client carries no copy of the rules: this test is
the guarantee that the two agree."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.edxml.dates import VIETNAM
from chalicelib.domain.edxml.models import Organization, Package
from chalicelib.domain.edxml.reader import read_package
from chalicelib.domain.edxml.rules import against_message, problems
from chalicelib.domain.edxml.values import message_values
from chalicelib.domain.priority import Priority
from lgsp_client.cli import main
from lgsp_client.edxml_build import build_package, package_spec, write_package
from lgsp_client.errors import UsageError
from tests.unit import edxml_samples as samples

SAMPLES = {samples.DECISION: [("QD-1234-UBND.pdf", samples.DECISION_PDF),
                              ("Phu-luc.txt", samples.DECISION_ANNEX)],
           samples.DISPATCH: [("CD-45-BNNMT.pdf", samples.DISPATCH_PDF)],
           samples.RECALL: []}


def _organ(org: Organization) -> dict[str, str]:
    return {f.name: getattr(org, f.name) for f in fields(org) if getattr(org, f.name)}


def metadata_of(package: Package, files: list[Path]) -> dict[str, Any]:
    """The client's metadata for what the hub read in `package`."""
    h, t = package.header, package.trace_header_list
    assert h is not None and h.from_ is not None and t is not None and t.bussiness
    assert h.code and h.promulgation_info and h.document_type and h.other_info
    other, business = h.other_info, t.bussiness
    data: dict[str, Any] = {
        "from": _organ(h.from_), "to": [_organ(x) for x in h.to],
        **asdict(h.code), **asdict(h.promulgation_info),
        "document_type": h.document_type.type, "type_name": h.document_type.type_name,
        "type_detail": h.document_type.type_detail, "subject": h.subject,
        "content": h.content, "due_date": h.due_date, "to_places": list(h.to_places),
        **{k: v for k, v in asdict(other).items() if k != "appendixes"},
        "appendixes": list(other.appendixes), "steering_type": h.steering_type,
        "document_id": h.document_id, "business_doc_type": business.bussiness_doc_type,
        "business_doc_reason": business.bussiness_doc_reason, "paper": business.paper,
        "files": [{"path": str(f), "name": r.attachment_name, "content_type": r.content_type,
                   "description": r.description}
                  for f, r in zip(files, package.references, strict=True)]}
    if h.signer_info:
        data["signer"] = asdict(h.signer_info)
    if business.staff_info:
        data["staff"] = asdict(business.staff_info)
    return data


@pytest.mark.parametrize("sample", list(SAMPLES), ids=lambda p: p.stem)
def test_what_the_client_builds_the_hub_reads_and_accepts(sample: Path, tmp_path: Path) -> None:
    original = read_package([sample.read_bytes()])
    files = []
    for name, data in SAMPLES[sample]:
        (tmp_path / name).write_bytes(data)
        files.append(tmp_path / name)
    spec = package_spec(metadata_of(original, files))
    built = build_package(spec, tmp_path / "pkg.xml")

    package = read_package([(tmp_path / "pkg.xml").read_bytes()])
    assert problems(package) == []
    assert package.header == original.header
    assert original.header is not None and original.header.from_ is not None
    sender = original.header.from_.organ_id
    assert against_message(package, str(sender), None) == []
    assert package.trace_header_list and original.trace_header_list
    ours, theirs = package.trace_header_list.bussiness, original.trace_header_list.bussiness
    assert ours is not None and theirs is not None
    assert (ours.bussiness_doc_type, ours.bussiness_doc_reason or None, ours.staff_info) == (
        theirs.bussiness_doc_type, theirs.bussiness_doc_reason or None, theirs.staff_info)
    assert [(a.name, a.size, a.sha256) for a in package.attachments] == [
        (name, len(data), hashlib.sha256(data).hexdigest()) for name, data in SAMPLES[sample]]
    assert [(b.size, b.sha256) for b in built] == [(a.size, a.sha256)
                                                   for a in package.attachments]
    assert [a.content_type for a in package.attachments] == [
        a.content_type for a in original.attachments]
    assert message_values(package) == message_values(original)


BASIC = {"from": "000.00.00.H30", "from_name": "UBND tỉnh Bắc Giang",
         "to": ["000.00.01.H30", "000.00.02.H30"], "subject": "Về việc kiểm tra",
         "code_number": "12", "code_notation": "CV-UBND", "document_type": "18",
         "type_name": "Công văn", "place": "Bắc Giang"}


def test_defaults_make_a_valid_package_from_the_least_metadata() -> None:
    now = datetime(2026, 12, 1, 23, 30, tzinfo=VIETNAM)
    spec = package_spec(BASIC, now=now.astimezone(VIETNAM))
    out = io.BytesIO()
    assert write_package(out, spec) == []
    package = read_package([out.getvalue()])
    assert problems(package) == []
    h = package.header
    assert h is not None and h.promulgation_info and h.other_info
    assert h.promulgation_info.promulgation_date == "2026/12/01"  # Vietnam's day
    assert h.document_id == "000.00.00.H30,2026/12/01,12/CV-UBND"
    assert (h.other_info.priority, h.steering_type) == ("0", "0")
    assert [t.organ_id for t in h.to] == BASIC["to"]
    t = package.trace_header_list
    assert t and t.bussiness and t.bussiness.bussiness_doc_type == "0"
    assert [(x.organ_id, x.timestamp) for x in t.trace_headers] == [
        ("000.00.00.H30", "2026/12/01 23:30:00")]


def test_priority_four_is_held_until_its_due_time() -> None:
    spec = package_spec({**BASIC, "priority": "Hỏa tốc hẹn giờ",
                         "due_date": "2026/12/02 14:00:00"})
    out = io.BytesIO()
    write_package(out, spec)
    package = read_package([out.getvalue()])
    assert problems(package) == []
    values = message_values(package)
    assert values.priority is Priority.HOA_TOC
    assert values.deliver_at == datetime(2026, 12, 2, 14, 0, tzinfo=VIETNAM)


@pytest.mark.parametrize(("change", "said"), [
    ({"subject": None}, "--subject"),
    ({"place": ""}, "--place"),
    ({"colour": "red"}, "unknown metadata: colour"),
    ({"priority": "9"}, "unknown priority"),
    ({"business_doc_type": "cancel"}, "unknown business doc type"),
    ({"promulgation_date": "30/11/2026"}, "not a date"),
    ({"subject": "a\x01b"}, "control character"),
    ({"files": ["no-such.pdf"]}, "no such file"),
])
def test_what_cannot_be_built_is_refused_naming_it(change: dict[str, Any], said: str) -> None:
    with pytest.raises((UsageError, ValueError), match=said):
        package_spec({**BASIC, **change})


def test_attachments_stream_in_constant_memory(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        for n in range(32):
            f.write(bytes([n]) * (256 * 1024))  # 8 MiB
    spec = package_spec({**BASIC, "files": [str(big)]})
    tracemalloc.start()
    try:
        [built] = build_package(spec, tmp_path / "pkg.xml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert built.size == 8 * 1024 * 1024
    assert peak < 1024 * 1024, peak  # blocks of 57 KiB, never the file


def test_a_failed_build_leaves_no_file(tmp_path: Path) -> None:
    gone = tmp_path / "gone.pdf"
    gone.write_bytes(b"x")
    spec = package_spec({**BASIC, "files": [str(gone)]})
    gone.unlink()
    with pytest.raises(FileNotFoundError):
        build_package(spec, tmp_path / "pkg.xml")
    assert list(tmp_path.iterdir()) == []


def test_the_command_builds_from_options_and_metadata(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    pdf = tmp_path / "cv.pdf"
    pdf.write_bytes(b"%PDF-1.4 cong van")
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({**BASIC, "subject": "from the file", "files": ["cv.pdf"]}))
    code = main(["edxml", "build", "--metadata", str(meta), "--subject", "Về việc họp",
                 "--priority", "2", "--business-doc-type", "new", "-o",
                 str(tmp_path / "pkg.xml"), "--no-progress"])
    assert code == 0
    package = read_package([(tmp_path / "pkg.xml").read_bytes()])
    assert problems(package) == []
    assert package.header and package.header.subject == "Về việc họp"  # the option wins
    assert package.header.other_info and package.header.other_info.priority == "2"
    out = capsys.readouterr().out
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() in out and "cv.pdf" in out


def test_the_command_without_a_name_or_a_hub_says_what_to_give(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("LGSP_ENDPOINT", "LGSP_ACCESS_KEY", "LGSP_SECRET_KEY", "LGSP_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "none"))
    args = ["edxml", "build", "--from", "000.00.00.H30", "--to", "000.00.01.H30",
            "--subject", "S", "--code-number", "1", "--code-notation", "CV",
            "--document-type", "18", "--type-name", "Công văn", "--place", "Bắc Giang",
            "-o", str(tmp_path / "pkg.xml")]
    assert main(args) == 2
    assert "give --from-name" in capsys.readouterr().err
    assert main([*args[:4], "-o", str(tmp_path / "pkg.xml")]) == 2
    assert "missing: --to, --subject, --code-number" in capsys.readouterr().err
    assert not (tmp_path / "pkg.xml").exists()
    assert main([*args, "--from-name", "UBND tỉnh Bắc Giang"]) == 0
