"""`lgsp webhooks listen` (issue 16, R-PROP-8; the hub's docs/webhooks.md): real local
POSTs signed by the hub's own signer reach the receiver, which verifies each with
`verify_webhook`, prints one line per delivery, answers 204 or 400, and drops a repeated
event id."""

from __future__ import annotations

import argparse
import http.client
import io
import json
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer

import pytest

from chalicelib.domain.webhook_signing import secret_from_key, sign
from lgsp_client.cli import build_parser, main
from lgsp_client.cli_webhooks import run_listen
from lgsp_client.webhook_listen import MAX_BODY

SECRET, NEW = secret_from_key(b"k" * 32), secret_from_key(b"n" * 32)


def event(event_id: str, kind: str = "message.available") -> bytes:
    return json.dumps({"type": kind, "id": event_id, "timestamp": "2026-12-01T10:00:00Z",
                       "data": {"recipient": "000.00.12.H40", "message_id": "01KB",
                                "priority": "hoa_toc", "at": 1796133600}},
                      separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Listening:
    url: str
    out: io.StringIO

    def post(self, body: bytes, headers: dict[str, str], method: str = "POST"
             ) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + "/hooks", data=body, method=method,
                                         headers={"Content-Type": "application/json",
                                                  **headers})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read()

    def deliver(self, body: bytes, *secrets: str, at: int | None = None,
                event_id: str | None = None) -> tuple[int, bytes]:
        msg_id = event_id or json.loads(body)["id"]
        stamp = int(time.time()) if at is None else at
        return self.post(body, sign(list(secrets) or SECRET, msg_id, stamp, body))

    def lines(self) -> list[list[str]]:
        return [line.split("  ") for line in self.out.getvalue().splitlines()]


def listening(*argv: str, environ: dict[str, str] | None = None) -> Iterator[Listening]:
    args = build_parser().parse_args(["webhooks", "listen", "--port", "0", *argv])
    out, ready = io.StringIO(), queue.Queue[ThreadingHTTPServer]()
    worker = threading.Thread(target=run_listen, args=(args, out),
                              kwargs={"environ": environ or {}, "started": ready.put}, daemon=True)
    worker.start()
    server = ready.get(timeout=10)
    try:
        yield Listening(f"http://127.0.0.1:{server.server_port}", out)
    finally:
        server.shutdown()
        worker.join(timeout=10)


@pytest.fixture
def receiver() -> Iterator[Listening]:
    yield from listening("--secret", SECRET)


def test_a_signed_delivery_is_verified_and_printed(receiver: Listening) -> None:
    assert receiver.deliver(event("evt_1")) == (204, b"")
    [[at, event_id, kind, outcome]] = receiver.lines()
    assert (event_id, kind, outcome) == ("evt_1", "message.available", "verified")
    assert at.endswith("Z") and at[:2] == "20"


def test_a_repeated_event_id_is_answered_but_printed_duplicate(receiver: Listening) -> None:
    assert receiver.deliver(event("evt_1")) == (204, b"")
    assert receiver.deliver(event("evt_1")) == (204, b"")  # a retry: the hub may stop
    assert receiver.deliver(event("evt_2", "notice")) == (204, b"")
    assert [line[1:] for line in receiver.lines()] == [
        ["evt_1", "message.available", "verified"], ["evt_1", "message.available",
                                                     "duplicate"],
        ["evt_2", "notice", "verified"]]


def test_what_does_not_verify_is_refused_400_with_its_reason(receiver: Listening) -> None:
    body = event("evt_1")
    status, answer = receiver.post(body + b" ", sign(SECRET, "evt_1", int(time.time()), body))
    assert status == 400 and json.loads(answer)["error"]["code"] == "bad_signature"
    assert receiver.deliver(body, NEW)[0] == 400                    # another secret
    assert receiver.deliver(body, at=int(time.time()) - 600)[0] == 400   # replayed late
    assert receiver.post(body, {"webhook-id": "evt_1"})[0] == 400  # unsigned
    assert receiver.deliver(event("evt_9"), event_id="evt_1")[0] == 400  # another event
    assert [line[1:] for line in receiver.lines()] == [
        ["evt_1", "-", "bad_signature"], ["evt_1", "-", "bad_signature"],
        ["evt_1", "-", "timestamp_too_old"], ["evt_1", "-", "missing_header"],
        ["evt_1", "-", "bad_payload"]]
    assert receiver.deliver(body) == (204, b"")  # refusals did not mark it handled
    assert receiver.lines()[-1][1:] == ["evt_1", "message.available", "verified"]


def test_other_methods_and_oversized_bodies_are_turned_away(receiver: Listening) -> None:
    assert receiver.post(b"", {}, method="GET")[0] == 405
    connection = http.client.HTTPConnection(receiver.url.removeprefix("http://"), timeout=10)
    connection.putrequest("POST", "/hooks")
    connection.putheader("Content-Length", str(MAX_BODY + 1))  # refused before reading it
    connection.putheader("webhook-id", "evt 1")
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()
    assert [line[1:] for line in receiver.lines()] == [["-", "-", "method_GET"],
                                                       ["evt?1", "-", "too_large"]]


def test_during_a_rotation_either_secret_verifies() -> None:
    for rotating in listening("--secret", SECRET, "--secret", NEW, "--show-data"):
        assert rotating.deliver(event("evt_1"), SECRET, NEW) == (204, b"")  # the hub: both
        assert rotating.deliver(event("evt_2"), NEW) == (204, b"")
        assert rotating.deliver(event("evt_3"), SECRET) == (204, b"")
        lines = rotating.lines()
        assert [line[3] for line in lines] == ["verified"] * 3
        assert json.loads(lines[0][4])["priority"] == "hoa_toc"  # --show-data


def test_the_secret_may_come_from_the_environment() -> None:
    for quiet in listening(environ={"LGSP_WEBHOOK_SECRET": SECRET}):
        assert quiet.deliver(event("evt_1")) == (204, b"")
        assert quiet.lines()[0][3] == "verified"


@pytest.mark.parametrize(("argv", "said"), [
    ([], "give --secret"), (["--secret", "not-a-secret"], "whsec_")])
def test_listen_without_a_usable_secret_exits_2(
        argv: list[str], said: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("LGSP_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("LGSP_ENDPOINT", raising=False)  # no hub, no credentials needed
    assert main(["webhooks", "listen", "--port", "0", *argv], out=io.StringIO()) == 2
    assert said in capsys.readouterr().err


def test_the_port_and_host_are_parsed() -> None:
    args = build_parser().parse_args(["webhooks", "listen", "--port", "8787"])
    assert isinstance(args, argparse.Namespace)
    assert (args.port, args.host, args.secrets) == (8787, "127.0.0.1", None)
