"""`lgsp services call` (docs/catalogue.md "Proxy mode", R-COMP-3) against an in-test hub
that answers as the proxy does: the service's answer (marked `LGSP-Relayed`) goes to
stdout as it came, binary too, the status to stderr (`-i`: status and headers first),
exit 0 only for a 2xx; the hub's own refusals print its code and message (and the
Retry-After seconds), exit 1; the body, headers and query the call sends."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lgsp_client.cli import build_parser, main
from tests.client.pipe import Pipe
from tests.client.server import Received, Reply, Server, serve

SERVICE = "000.00.02.H40/land-records"
CALL = "/v1/catalogue/services/000.00.02.H40/land-records/call"
PDF = b"%PDF-1.7\n\x00\xff\xfe binary"
RELAYED = {"LGSP-Relayed": "true"}


def _json(status: int, data: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False).encode(),
                 {"Content-Type": "application/json", **(headers or {})})


def _hub(r: Received) -> Reply:
    path = r.path.partition("?")[0]
    if path == f"{CALL}/parcels/12":
        return _json(200, {"so_thua": 12, "chu": "Nguyễn Văn A"}, {**RELAYED, "ETag": '"v1"'})
    if path == f"{CALL}/scans/12":
        return Reply(200, PDF, {"Content-Type": "application/octet-stream", **RELAYED})
    if path == f"{CALL}/parcels":  # echoes what it got
        return _json(201, {"type": r.headers.get("Content-Type"), "got": r.body.decode(),
                           "query": r.path.partition("?")[2],
                           "trace": r.headers.get("X-Trace")}, RELAYED)
    if path == f"{CALL}/parcels/99":  # the service's own 404, in the hub's shape even
        return _json(404, {"error": {"code": "not_found", "message": "Không có thửa"}},
                     RELAYED)
    if path == f"{CALL}/busy":
        return _json(429, {"error": {"code": "rate_limited", "message": "This grant allows "
                                     "2 calls a minute; try again in 42 s.",
                                     "retry_after": 42, "limit": 2}}, {"Retry-After": "42"})
    return _json(403, {"error": {"code": "no_grant", "message": "App app-1 has no grant on "
                                 f"{SERVICE}: ask for access (POST /v1/catalogue/requests)."}})


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Server]:
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "no-profiles"))
    for name in ("LGSP_PROFILE", "LGSP_ALGORITHM", "LGSP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    with serve(_hub) as server:
        monkeypatch.setenv("LGSP_ENDPOINT", server.url)
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKUA")
        monkeypatch.setenv("LGSP_SECRET_KEY", "ua-secret")
        yield server


def lgsp(*argv: str) -> tuple[int, bytes]:
    out = Pipe()
    code = main(["services", "call", *argv], out=out)
    return code, out.written()


def test_the_answer_goes_to_stdout_and_the_status_to_stderr(
        hub: Server, capsys: pytest.CaptureFixture[str]) -> None:  # R-COMP-3
    code, out = lgsp(SERVICE, "get", "/parcels/12")
    assert code == 0
    assert json.loads(out) == {"so_thua": 12, "chu": "Nguyễn Văn A"}
    assert capsys.readouterr().err == "HTTP 200 OK\n"
    sent = hub.received[-1]
    assert (sent.method, sent.path) == ("GET", f"{CALL}/parcels/12")
    assert "Signature" in sent.headers  # signed as every app call


def test_a_binary_answer_comes_as_it_is(hub: Server) -> None:
    assert lgsp(SERVICE, "GET", "scans/12") == (0, PDF)


def test_include_prints_the_status_and_headers_first(
        hub: Server, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = lgsp(SERVICE, "GET", "/parcels/12", "-i")
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert code == 0 and lines[0] == "HTTP 200 OK"
    assert 'ETag: "v1"' in lines and "Content-Type: application/json" in lines
    assert json.loads(body)["so_thua"] == 12
    assert capsys.readouterr().err == ""


def test_data_headers_and_query_are_sent(hub: Server, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = lgsp(SERVICE, "POST", "/parcels?x=1", "--data", '{"so_thua": 12}',
                     "--query", "b=a b", "-H", "X-Trace: t1")
    assert code == 0
    assert json.loads(out) == {"type": "application/json", "got": '{"so_thua": 12}',
                               "query": "b=a%20b&x=1", "trace": "t1"}
    upload = tmp_path / "form.bin"
    upload.write_bytes(b"\x00\x01")
    echoed = json.loads(lgsp(SERVICE, "PUT", "/parcels", "--data", f"@{upload}")[1])
    assert echoed["type"] == "application/octet-stream"
    assert hub.received[-1].body == b"\x00\x01" and hub.received[-1].method == "PUT"

    class Stdin:
        buffer = io.BytesIO("số thửa 12".encode())

    monkeypatch.setattr(sys, "stdin", Stdin)
    echoed = json.loads(lgsp(SERVICE, "POST", "/parcels", "-d", "-", "-H",
                             "Content-Type: text/plain; charset=utf-8")[1])
    assert echoed["got"] == "số thửa 12" and echoed["type"] == "text/plain; charset=utf-8"


def test_the_services_error_answer_is_its_own_and_exits_1(
        hub: Server, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = lgsp(SERVICE, "GET", "/parcels/99")
    assert code == 1
    assert json.loads(out)["error"]["code"] == "not_found"  # printed, not taken as the hub's
    assert capsys.readouterr().err == "HTTP 404 Not Found\n"


def test_the_hubs_refusals_show_their_code_and_exit_1(
        hub: Server, capsys: pytest.CaptureFixture[str]) -> None:
    assert lgsp(SERVICE, "GET", "/busy") == (1, b"")
    err = capsys.readouterr().err.splitlines()
    assert err == ["error: rate_limited: This grant allows 2 calls a minute; try again in "
                   "42 s.", "retry after: 42 s"]
    assert lgsp(SERVICE, "DELETE", "/parcels/12/owner") == (1, b"")
    assert capsys.readouterr().err.startswith("error: no_grant: App app-1 has no grant")


@pytest.mark.parametrize("argv", [
    [SERVICE, "HEAD", "/x"], ["no-slash", "GET", "/x"], [SERVICE, "GET"],
    [SERVICE, "GET", "/x", "-H", "no-colon"], [SERVICE, "GET", "/x", "--query", "novalue"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["services", "call", *argv])
    assert exc.value.code == 2
    capsys.readouterr()
