"""`lgsp edxml build|inspect` and `lgsp send --edxml` against the real hub (the chalice
app behind a loopback HTTP bridge, its store moto's S3): the package built here is checked
by the hub from its header alone, sent with the values the hub takes from it, and a
package with problems is refused here with the hub's problems, nothing sent (issue 15,
R-SEND-4; docs/edxml.md "The client")."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chalicelib.domain.edxml.reader import read_package
from chalicelib.services import sweeper
from lgsp_client.cli import main
from tests.client.server import Server
from tests.support.cli_hub import as_app, bridged_hub
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, World

BUCKET = "lgsp-edxml-cli"
PDF = b"%PDF-1.4\n% Cong van 12/CV-UBND ve viec kiem tra\n" * 200


@dataclass
class Setup:
    hub: World
    server: Server
    tmp: Path


@pytest.fixture
def setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Setup]:
    with bridged_hub(monkeypatch, tmp_path, BUCKET) as (hub, server):
        as_unit(monkeypatch, hub, "a")
        yield Setup(hub, server, tmp_path)


def as_unit(monkeypatch: pytest.MonkeyPatch, hub: World, who: str) -> None:
    as_app(monkeypatch, getattr(hub, who))


def lgsp(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--no-progress", *argv], out=out)
    return code, out.getvalue()


def built(s: Setup, *extra: str) -> Path:
    """A package from A to B and C, the names from the hub's directory."""
    pdf = s.tmp / "cv-12.pdf"
    pdf.write_bytes(PDF)
    package = s.tmp / "cv-12.xml"
    code, out = lgsp("edxml", "build", "--from", UNIT_A, "--to", UNIT_B, "--to", UNIT_C,
                     "--subject", "Về việc kiểm tra công tác văn thư", "--code-number", "12",
                     "--code-notation", "CV-UBND", "--document-type", "18", "--type-name",
                     "Công văn", "--place", "Hà Giang", "--priority", "2",
                     "--due-date", "2027/01/15", "--file", str(pdf), "-o", str(package),
                     *extra)
    assert code == 0, out
    return package


def test_build_takes_the_names_from_the_hubs_directory_and_inspect_says_valid(
        setup: Setup) -> None:
    package = built(setup)
    code, out = lgsp("edxml", "inspect", str(package))
    assert code == 0, out
    assert f"from         {UNIT_A} Đơn vị {UNIT_A}" in out
    assert f"{UNIT_C} Đơn vị {UNIT_C}" in out
    assert "priority     2 Thượng khẩn" in out
    assert "cv-12.pdf application/pdf 9.4 KiB cid:1" in out
    assert "valid: the hub sends it titled 'Về việc kiểm tra công tác văn thư', priority " \
        "thuong_khan, deadline 2027-01-15T16:59:59Z" in out
    [check] = [r for r in setup.server.received if r.path.startswith("/v1/edxml/check")]
    assert b"AttachmentEncoded" not in check.body and len(check.body) < 4096  # header only

    code, out = lgsp("edxml", "inspect", str(package), "--json")
    answer = json.loads(out)
    assert code == 0 and answer["valid"] is True
    assert answer["attachments"] == [{"content_id": "cid:1", "name": "cv-12.pdf",
                                      "content_type": "application/pdf", "size": len(PDF)}]


def test_inspect_answers_the_hubs_problems_with_their_elements_exit_1(
        setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    package = built(setup)
    code, out = lgsp("edxml", "inspect", str(package), "--to", UNIT_B)
    assert code == 1
    assert "1 problem(s):" in out
    assert "MessageHeader/To[1]/OrganId: edxml_not_a_destination: " in out
    as_unit(monkeypatch, setup.hub, "b")
    code, out = lgsp("edxml", "inspect", str(package))
    assert code == 1 and "MessageHeader/From/OrganId: edxml_not_sender" in out


def test_inspect_of_unsafe_xml_is_a_problem_and_a_refused_call_an_error(
        setup: Setup, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    xxe = setup.tmp / "xxe.xml"
    xxe.write_bytes(b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY x SYSTEM '
                    b'"file:///etc/passwd">]><edXML><edXMLEnvelope><edXMLHeader>&x;'
                    b"</edXMLHeader></edXMLEnvelope></edXML>")
    code, out = lgsp("edxml", "inspect", str(xxe))
    assert code == 1 and "DOCTYPE: edxml_unsafe_xml:" in out
    code, _ = lgsp("edxml", "inspect", str(setup.tmp / "missing.xml"))
    assert code == 2 and "missing.xml" in capsys.readouterr().err
    package = built(setup)
    monkeypatch.setenv("LGSP_SECRET_KEY", "not-the-secret")
    code, _ = lgsp("edxml", "inspect", str(package))
    assert code == 2 and "error: signature_invalid" in capsys.readouterr().err


def test_send_edxml_takes_destinations_title_and_priority_from_the_header(
        setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    package = built(setup)
    code, out = lgsp("send", "--edxml", str(package))
    assert code == 0, out
    message_id = out.split()[0]
    [create] = [r for r in setup.server.received if r.path == "/v1/messages"]
    body = json.loads(create.body)
    assert (body["to"], body["title"], body["priority"], body["protocol"]) == (
        [UNIT_B, UNIT_C], "Về việc kiểm tra công tác văn thư", "thuong_khan", "edxml")
    assert body["content"]["content_type"] == "application/xml"
    assert body["content"]["sha256"] == hashlib.sha256(package.read_bytes()).hexdigest()
    message = setup.hub.a.get(f"/v1/messages/{message_id}").body["message"]
    assert (message["protocol"], message["to"]) == ("edxml", [UNIT_B, UNIT_C])
    assert message["state"] == "checking"  # the hub reads the stored package first
    sweeper.sweep(setup.hub.deps)  # as the hub's sweeper does (docs/edxml.md)
    message = setup.hub.a.get(f"/v1/messages/{message_id}").body["message"]
    assert message["state"] == "verified"
    assert message["edxml"]["subject"] == "Về việc kiểm tra công tác văn thư"
    as_unit(monkeypatch, setup.hub, "b")
    fetched = setup.tmp / "received.xml"
    code, out = lgsp("fetch", message_id, "-o", str(fetched))
    assert code == 0, out
    assert fetched.read_bytes() == package.read_bytes()


def test_send_edxml_with_problems_is_refused_here_and_sends_nothing(
        setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    package = built(setup)
    code, _ = lgsp("send", "--edxml", str(package), "--to", UNIT_B)
    assert code == 1
    err = capsys.readouterr().err
    assert "MessageHeader/To[1]/OrganId: edxml_not_a_destination" in err
    assert "error: edxml_invalid:" in err and "nothing was sent" in err
    assert not [r for r in setup.server.received if r.path.startswith("/v1/messages")]
    code, _ = lgsp("send", "--edxml", str(package), "--to", UNIT_B, "--to", UNIT_C)
    assert code == 0


def test_build_asks_the_directory_name_by_name_and_leaves_out_what_it_does_not_know(
        setup: Setup) -> None:
    unknown = "000.00.09.H99"
    package = setup.tmp / "pkg.xml"
    code, _ = lgsp("edxml", "build", "--from", UNIT_A, "--to", unknown, "--to", UNIT_B,
                   "--subject", "S", "--code-number", "1", "--code-notation", "CV",
                   "--document-type", "18", "--type-name", "Công văn", "--place", "Hà Giang",
                   "-o", str(package))
    assert code == 0
    header = read_package([package.read_bytes()]).header
    assert header is not None and header.from_ is not None
    assert header.from_.organ_name == f"Đơn vị {UNIT_A}"
    assert [(t.organ_id, t.organ_name) for t in header.to] == [
        (unknown, None), (UNIT_B, f"Đơn vị {UNIT_B}")]
    lookups = [r.path for r in setup.server.received if r.path.startswith("/v1/directory/")]
    assert lookups == [f"/v1/directory/{c}" for c in (UNIT_A, unknown, UNIT_B)]
