"""Command-line parsing: commands, global options anywhere, and value parsers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lgsp_client.cli import build_parser, main
from lgsp_client.options import (
    human_size,
    parse_duration,
    parse_part_size_mib,
    parse_priority,
    parse_status_code,
)
from lgsp_client.transfer import DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE, MiB


def parse(*argv: str) -> object:
    return build_parser().parse_args(list(argv))


def test_send_arguments() -> None:
    args = parse("send", "--to", "000.00.32.H99", "--to", "000.00.33.H99", "--title", "CV 12",
                 "--priority", "Thượng khẩn", "--confirm-within", "12h", "--part-size", "16",
                 "--concurrency", "8", "--data-type", "dossier", "--protocol", "edxml", "--new",
                 "report.pdf")
    assert vars(args) == {
        "command": "send", "profile": None, "endpoint": None, "no_progress": False,
        "as_person": False,
        "file": Path("report.pdf"), "edxml": None, "to": ["000.00.32.H99", "000.00.33.H99"],
        "title": "CV 12", "priority": "thuong_khan", "data_type": "dossier",
        "protocol": "edxml", "confirm_within": 43200, "part_size": 16 * MiB,
        "concurrency": 8, "new": True}


def test_send_defaults() -> None:
    """Priority and protocol left out are `thuong` and `file` when sending (None here: an
    edXML package's header gives them)."""
    args = parse("send", "--to", "U1", "--title", "T", "f.bin")
    assert (args.priority, args.protocol, args.confirm_within, args.part_size,
            args.concurrency, args.new) == (
        None, None, None, DEFAULT_PART_SIZE, DEFAULT_CONCURRENCY, False)


def test_send_edxml_and_the_edxml_commands() -> None:
    args = parse("send", "--edxml", "pkg.xml", "--to", "U1", "--new")
    assert (args.edxml, args.file, args.to, args.title) == (Path("pkg.xml"), None, ["U1"], None)
    build = parse("edxml", "build", "--from", "000.00.00.H30", "--to", "A", "--to", "B",
                  "--priority", "Hỏa tốc hẹn giờ", "--business-doc-type", "recall",
                  "--reason", "R", "--steering-type", "1", "--file", "a.pdf", "-o", "p.xml")
    assert (build.edxml_command, build.from_code, build.to, build.priority,
            build.business_doc_type, build.steering_type, build.file, build.output) == (
        "build", "000.00.00.H30", ["A", "B"], "4", "1", "1", [Path("a.pdf")], Path("p.xml"))
    inspect = parse("edxml", "inspect", "p.xml", "--to", "A", "--json")
    assert (inspect.edxml_command, inspect.package, inspect.to, inspect.json) == (
        "inspect", Path("p.xml"), ["A"], True)


def test_global_options_before_or_after_the_command() -> None:
    before = parse("--profile", "p1", "--endpoint", "http://h", "--no-progress", "inbox")
    assert (before.profile, before.endpoint, before.no_progress) == ("p1", "http://h", True)
    after = parse("fetch", "M1", "-o", "x.pdf", "--profile", "p2", "--no-progress")
    assert (after.profile, after.no_progress, after.output) == ("p2", True, Path("x.pdf"))
    assert parse("--profile", "p3", "status", "M1").profile == "p3"
    assert parse("--as-person", "admin", "requests", "list").as_person is True
    assert parse("admin", "requests", "list", "--as-person").as_person is True
    assert parse("login", "--no-browser", "--profile", "p4").no_browser is True


def test_other_commands() -> None:
    assert vars(parse("inbox", "--json", "--limit", "20")) == {
        "command": "inbox", "profile": None, "endpoint": None, "no_progress": False,
        "as_person": False, "json": True, "limit": 20, "cursor": None}
    assert parse("outbox").json is False
    assert parse("status", "M1", "--json").id == "M1"
    assert parse("reject", "M1", "--reason", "Không thuộc thẩm quyền").reason == \
        "Không thuộc thẩm quyền"
    assert parse("whoami").command == "whoami"
    assert parse("time").command == "time"
    assert parse("fetch", "M1").output is None


@pytest.mark.parametrize("argv", [
    [],
    ["send", "--title", "T", "f"],
    ["send", "--to", "U", "f"],
    ["send", "--to", "U", "--title", "T"],
    ["send", "--to", "U", "--title", "T", "--priority", "urgent", "f"],
    ["send", "--to", "U", "--title", "T", "--confirm-within", "3x", "f"],
    ["send", "--to", "U", "--title", "T", "--part-size", "4", "f"],
    ["send", "--to", "U", "--title", "T", "--concurrency", "0", "f"],
    ["send", "--edxml", "p.xml", "f"],
    ["send", "--edxml", "p.xml", "--title", "T"],
    ["send", "--edxml", "p.xml", "--priority", "khan"],
    ["send", "--edxml", "p.xml", "--protocol", "file"],
    ["edxml"],
    ["edxml", "build", "--from", "U"],
    ["edxml", "build", "--priority", "9", "-o", "p.xml"],
    ["edxml", "build", "--business-doc-type", "cancel", "-o", "p.xml"],
    ["edxml", "build", "--steering-type", "3", "-o", "p.xml"],
    ["edxml", "inspect"],
    ["inbox", "--limit", "500"],
    ["reject", "M1"],
    ["status"],
    ["status-reply", "M1"],
    ["status-reply", "M1", "accepted-ish"],
    ["status-reply", "M1", "003"],
    ["status-replies"],
    ["status-replies", "M1", "--edxml"],
    ["bogus"],
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "usage:" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "seconds"), [
    ("3d", 259200), ("12h", 43200), ("3600", 3600), ("90m", 5400), ("1w", 604800),
    (" 2D ", 172800), ("60", 60), ("90d", 90 * 86400), ("120s", 120),
])
def test_confirm_within(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "3x", "-5", "1.5h", "d", "59", "0", "91d", "3 d h"])
def test_confirm_within_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(("text", "value"), [
    ("hoa_toc", "hoa_toc"), ("Hỏa tốc", "hoa_toc"), ("HOA-TOC", "hoa_toc"), ("3", "hoa_toc"),
    ("Thượng khẩn", "thuong_khan"), ("thuong khan", "thuong_khan"), ("khẩn", "khan"),
    ("Thường", "thuong"), ("0", "thuong"), ("Hoả tốc", "hoa_toc"),
])
def test_priority(text: str, value: str) -> None:
    assert parse_priority(text) == value


@pytest.mark.parametrize("text", ["urgent", "4", "", "khan cap"])
def test_priority_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="hoa_toc"):
        parse_priority(text)


def test_part_size_and_human_size() -> None:
    assert parse_part_size_mib("5") == 5 * MiB
    for bad in ("4", "5121", "8.5", "x"):
        with pytest.raises(ValueError):
            parse_part_size_mib(bad)
    assert [human_size(n) for n in (0, 1023, 1536, 5 * MiB, 3 * 1024 * MiB)] == \
        ["0 B", "1023 B", "1.5 KiB", "5.0 MiB", "3.0 GiB"]


def test_missing_configuration_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("LGSP_ENDPOINT", "LGSP_ACCESS_KEY", "LGSP_SECRET_KEY", "LGSP_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "none"))
    assert main(["whoami"], out=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: config: missing endpoint, access_key, secret_key")


def test_status_reply_arguments() -> None:
    """`lgsp status-reply` and `lgsp status-replies` (edXML status codes; R-SEND-5)."""
    assert vars(parse("status-reply", "M1", "3", "--comment", "Đã tiếp nhận")) == {
        "command": "status-reply", "profile": None, "endpoint": None, "no_progress": False,
        "as_person": False, "id": "M1", "code": "03", "comment": "Đã tiếp nhận",
        "json": False}
    assert parse("status-reply", "M1", "13", "--json").comment is None
    assert vars(parse("status-replies", "M1", "--edxml", "R1")) == {
        "command": "status-replies", "profile": None, "endpoint": None,
        "no_progress": False, "as_person": False, "id": "M1", "edxml": "R1", "json": False}
    assert parse("status-replies", "M1", "--json").edxml is None


def test_status_codes_by_number_or_name() -> None:
    taken = {"03": "03", "3": "03", "16": "16", "07": "07", "accepted": "03",
             "In progress": "05", "Tiếp nhận": "03", "đã đến": "01", "Hoàn thành": "06",
             "recall-requested": "13", "Đồng ý thu hồi": "15", "từ chối thu hồi": "16",
             "Từ chối": "02"}
    assert {text: parse_status_code(text) for text in taken} == taken
    for bad in ("", "003", "ok", "3.0"):
        with pytest.raises(ValueError, match="03 accepted"):
            parse_status_code(bad)
