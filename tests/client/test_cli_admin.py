"""`lgsp admin requests ...` against an in-test hub (R-OPS-1..3): file, complete, list,
show, approve (the secret shown once), refuse, withdraw and download the letter."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from lgsp_client.cli import main
from tests.client.fakeadmin import DOCX, RequestsHub
from tests.client.fakehub import FakeHub
from tests.client.server import Server, serve

UNIT = "000.00.31.H99"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[RequestsHub,
                                                                          Server]]:
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "no-profiles"))
    for name in ("LGSP_PROFILE", "LGSP_ALGORITHM", "LGSP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    # The test server answers the methods the other commands use; PATCH goes the same way.
    monkeypatch.setattr(BaseHTTPRequestHandler, "do_PATCH",
                        lambda self: self._any(), raising=False)
    fake = RequestsHub(FakeHub(keys={"AKSRC": "src-secret"}, units={"AKSRC": UNIT}))
    with serve(fake) as server:
        fake.fake.url = server.url
        monkeypatch.setenv("LGSP_ENDPOINT", server.url)
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKSRC")
        monkeypatch.setenv("LGSP_SECRET_KEY", "src-secret")
        yield fake, server


def lgsp(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_file_from_a_json_file_and_set_pairs(hub: tuple[RequestsHub, Server],
                                             tmp_path: Path) -> None:
    fake, server = hub
    fields = tmp_path / "form01.json"
    fields.write_text(json.dumps({"system_name": "Phần mềm quản lý văn bản",
                                  "purpose": "Liên thông văn bản"}, ensure_ascii=False),
                      encoding="utf-8")
    code, out = lgsp("admin", "requests", "file", "--kind", "register_app", "--fields",
                     str(fields), "--set", "applicant.name=Nguyễn Văn Hùng",
                     "--set", "applicant.email=hung@example.gov.vn")
    assert code == 0 and out.splitlines()[1] == "due: 2026-11-25"
    method, path, body = fake.bodies[-1]
    assert (method, path) == ("POST", "/v1/admin/requests")
    assert body == {"kind": "register_app", "fields": {
        "system_name": "Phần mềm quản lý văn bản", "purpose": "Liên thông văn bản",
        "applicant": {"name": "Nguyễn Văn Hùng", "email": "hung@example.gov.vn"}}}
    assert "nonce=" in server.received[-1].headers["Signature-Input"]


def test_a_draft_lists_what_is_missing_and_complete_finishes_it(
        hub: tuple[RequestsHub, Server]) -> None:
    fake, _ = hub
    code, out = lgsp("admin", "requests", "file", "--kind", "admin_account", "--unit",
                     "000.00.32.H99", "--set", "letter_number=7/UB")
    request_id = out.split()[0]
    assert code == 0 and out.split()[1] == "draft" and "missing: purpose" in out
    assert fake.bodies[-1][2]["unit"] == "000.00.32.H99"
    code, out = lgsp("admin", "requests", "complete", request_id, "--set", "purpose=Quản trị")
    assert code == 0 and f"{request_id} submitted" in out and "due: 2026-11-27" in out
    assert fake.bodies[-1] == ("PATCH", f"/v1/admin/requests/{request_id}",
                               {"fields": {"purpose": "Quản trị"}})


def test_list_and_show(hub: tuple[RequestsHub, Server]) -> None:
    fake, _ = hub
    lgsp("admin", "requests", "file", "--kind", "register_app", "--set", "purpose=x",
         "--set", "system_name=Cổng dịch vụ công")
    next(iter(fake.requests.values()))["overdue"] = True
    code, out = lgsp("admin", "requests", "list", "--state", "submitted", "--limit", "10")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["ID", "FORM", "KIND", "UNIT", "STATE", "DUE", "TITLE"]
    assert "submitted!" in row and "Cổng dịch vụ công" in row
    assert fake.bodies[-1][1] == "/v1/admin/requests?limit=10&state=submitted"
    code, out = lgsp("admin", "requests", "list", "--json")
    assert code == 0 and json.loads(out)["items"][0]["title"] == "Cổng dịch vụ công"
    request_id = next(iter(fake.requests))
    code, out = lgsp("admin", "requests", "show", request_id)
    assert code == 0 and "system_name: Cổng dịch vụ công" in out and "filed" in out
    code, _ = lgsp("admin", "requests", "show", "f" * 32)
    assert code == 1


def test_approve_shows_the_secret_once_and_twice_is_an_error(
        hub: tuple[RequestsHub, Server], capsys: pytest.CaptureFixture[str]) -> None:
    fake, _ = hub
    _, out = lgsp("admin", "requests", "file", "--kind", "register_app", "--set", "purpose=x")
    request_id = out.split()[0]
    code, out = lgsp("admin", "requests", "approve", request_id, "--answer-number",
                     "88/STTTT-CNTT", "--support-name", "Lê Minh", "--support-phone",
                     "0204 3555 666", "--handover-name", "Phạm Quốc Bảo")
    assert code == 0 and "secret_key: s3cr3t-once" in out and "access_key: AKNEWAPP" in out
    assert "shown only now" in capsys.readouterr().err
    assert fake.bodies[-1][2] == {
        "answer_number": "88/STTTT-CNTT", "handover_by": {"name": "Phạm Quốc Bảo"},
        "support_contact": {"name": "Lê Minh", "phone": "0204 3555 666"}}
    assert lgsp("admin", "requests", "approve", request_id)[0] == 1
    assert "error: already_answered" in capsys.readouterr().err


def test_refuse_needs_a_reason_and_withdraw(hub: tuple[RequestsHub, Server]) -> None:
    fake, _ = hub
    _, out = lgsp("admin", "requests", "file", "--kind", "register_app", "--set", "purpose=x")
    request_id = out.split()[0]
    with pytest.raises(SystemExit) as err:
        lgsp("admin", "requests", "refuse", request_id)
    assert err.value.code == 2
    code, out = lgsp("admin", "requests", "refuse", request_id, "--reason",
                     "Thiếu tài liệu thiết kế")
    assert code == 0 and f"{request_id} refused" in out
    assert fake.bodies[-1][2] == {"reason": "Thiếu tài liệu thiết kế"}
    _, out = lgsp("admin", "requests", "file", "--kind", "cancel_app", "--set", "purpose=x")
    other = out.split()[0]
    assert lgsp("admin", "requests", "withdraw", other) == (0, f"{other} withdrawn\n")


def test_letter_is_saved_and_never_overwritten(hub: tuple[RequestsHub, Server],
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    fake, server = hub
    _, out = lgsp("admin", "requests", "file", "--kind", "register_app", "--set", "purpose=x")
    request_id = out.split()[0]
    code, out = lgsp("admin", "requests", "letter", request_id, "-o", str(tmp_path))
    saved = tmp_path / f"mau-02-{request_id}.docx"
    assert code == 0 and saved.read_bytes() == b"PK\x03\x04 docx" and str(saved) in out
    assert server.received[-1].headers["Accept"] == DOCX
    code, _ = lgsp("admin", "requests", "letter", request_id, "--form", "05", "-o",
                   str(saved))
    assert code == 1 and "error: io" in capsys.readouterr().err
    assert fake.bodies[-1][1] == f"/v1/admin/requests/{request_id}/letter?form=05"


def test_bad_set_pairs_are_refused(hub: tuple[RequestsHub, Server],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = lgsp("admin", "requests", "file", "--kind", "register_app", "--set", "purpose")
    assert code == 1 and "error: config: --set takes NAME=VALUE" in capsys.readouterr().err


@pytest.mark.parametrize(("kind", "shown", "once"), [
    ("sso_register_app", "client_secret: cs-once", "client secret is shown only now"),
    ("sso_admin_account", "setup_link: https://lgsp.test/sso/setup/link-once",
     "link is shown only now"),
])
def test_approving_an_sso_form_shows_its_secret_or_link_once(
        hub: tuple[RequestsHub, Server], capsys: pytest.CaptureFixture[str], kind: str,
        shown: str, once: str) -> None:
    _, out = lgsp("admin", "requests", "file", "--kind", kind, "--set", "purpose=x")
    code, out = lgsp("admin", "requests", "approve", out.split()[0])
    assert code == 0 and shown in out and once in capsys.readouterr().err
    if kind == "sso_register_app":
        assert "client_id:     sso-1" in out and "https://a.example/cb" in out
        assert "discovery_url: https://lgsp.test/sso/.well-known/openid-configuration" in out
    else:
        assert f"account:    qtsso@{UNIT}@lgsp.gov.vn" in out
