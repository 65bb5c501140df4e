"""Outbound POSTs to given URLs (`adapters/safe_http.py`, issue 16) against real servers on
loopback: refused before connecting unless the operator allowed the range, the name
resolved once and the checked address used (Host and TLS server name still the name's), a
redirect is the answer, a long answer is cut, a silent one times out."""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chalicelib.adapters.safe_http import SafePoster, resolve
from chalicelib.domain.outbound import OutboundFailedError, OutboundRefusedError, parse_networks
from tests.client.server import Received, Reply, Server, serve

LOOPBACK = parse_networks("127.0.0.0/8")
RELEASE = threading.Event()


def _receiver(request: Received) -> Reply:
    if request.path == "/redirect":
        return Reply(302, headers={"Location": "/elsewhere"})
    if request.path == "/big":
        return Reply(200, b"x" * 100_000)
    if request.path == "/hang":
        RELEASE.wait(10)
    return Reply(204)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Server]:
    with serve(_receiver) as server:
        try:
            yield server
        finally:
            RELEASE.set()


def local(**kwargs: object) -> SafePoster:
    return SafePoster(allow_http=True, allowed=LOOPBACK, **kwargs)  # type: ignore[arg-type]


def test_a_post_to_an_allowed_address_and_its_answer(receiver: Server) -> None:
    answer = local().post(f"{receiver.url}/hook?x=1", b'{"a":1}',
                          {"content-type": "application/json", "webhook-id": "evt_1"},
                          timeout=5, max_answer=100)
    assert (answer.status, answer.body) == (204, b"")
    assert answer.elapsed_ms >= 0
    seen = receiver.received[-1]
    assert (seen.method, seen.path, seen.body) == ("POST", "/hook?x=1", b'{"a":1}')
    assert seen.headers["webhook-id"] == "evt_1"


def test_loopback_is_refused_without_the_setting_and_nothing_is_sent(receiver: Server) -> None:
    before = len(receiver.received)
    for poster in (SafePoster(allow_http=True), SafePoster(allow_http=True,
                                                           allowed=parse_networks("10.0.0.0/8"))):
        with pytest.raises(OutboundRefusedError) as caught:
            poster.post(f"{receiver.url}/hook", b"{}", {}, timeout=5, max_answer=100)
        assert caught.value.reason == "loopback"
    assert len(receiver.received) == before


def test_http_is_refused_unless_allowed(receiver: Server) -> None:
    with pytest.raises(OutboundRefusedError) as caught:
        SafePoster(allowed=LOOPBACK).post(f"{receiver.url}/hook", b"{}", {}, timeout=5,
                                          max_answer=100)
    assert caught.value.reason == "scheme_not_allowed"


def test_a_name_is_resolved_once_and_the_checked_address_is_called(receiver: Server) -> None:
    """A rebinding DNS server answers a public address first, loopback next: the hub
    refuses on what it resolved; and when a name resolves to an allowed address, the
    connection goes there with the name in Host."""
    port = receiver.url.rsplit(":", 1)[1]
    lookups: list[str] = []

    def rebinding(host: str, _port: int) -> list[str]:
        lookups.append(host)
        return ["8.8.8.8", "127.0.0.1"] if len(lookups) == 1 else ["127.0.0.1"]

    with pytest.raises(OutboundRefusedError) as caught:
        SafePoster(allow_http=True, resolver=rebinding).post(
            f"http://hooks.example.vn:{port}/", b"{}", {}, timeout=5, max_answer=10)
    assert caught.value.reason == "loopback" and lookups == ["hooks.example.vn"]

    calls: list[str] = []

    def pinned(host: str, _port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    answer = local(resolver=pinned).post(f"http://hooks.example.vn:{port}/named", b"{}", {},
                                         timeout=5, max_answer=10)
    assert answer.status == 204 and calls == ["hooks.example.vn"]
    assert receiver.received[-1].headers["Host"] == f"hooks.example.vn:{port}"


def test_a_real_name_of_loopback_is_refused_and_a_name_without_address_too(
        receiver: Server) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    assert "127.0.0.1" in resolve("localhost", 80) and resolve("127.0.0.1", 80) == ["127.0.0.1"]
    with pytest.raises(OutboundRefusedError) as caught:
        SafePoster(allow_http=True).post(f"http://localhost:{port}/", b"{}", {}, timeout=5,
                                         max_answer=10)
    assert caught.value.reason == "loopback"
    with pytest.raises(OutboundRefusedError) as caught:
        local(resolver=lambda _h, _p: []).check(f"http://nowhere.example.vn:{port}/")
    assert caught.value.reason == "unresolvable"


def test_when_one_checked_address_refuses_the_connection_the_next_is_tried(
        receiver: Server) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    poster = local(resolver=lambda _h, _p: ["127.0.0.2", "127.0.0.1"])  # nothing on .2
    answer = poster.post(f"http://hooks.example.vn:{port}/two", b"{}", {}, timeout=5,
                         max_answer=10)
    assert answer.status == 204 and receiver.received[-1].path == "/two"


def test_a_redirect_is_the_answer_not_followed(receiver: Server) -> None:
    before = len(receiver.received)
    answer = local().post(f"{receiver.url}/redirect", b"{}", {}, timeout=5, max_answer=100)
    assert answer.status == 302
    assert [r.path for r in receiver.received[before:]] == ["/redirect"]


def test_a_long_answer_is_cut_at_the_limit(receiver: Server) -> None:
    answer = local().post(f"{receiver.url}/big", b"{}", {}, timeout=5, max_answer=1000)
    assert (answer.status, answer.body) == (200, b"x" * 1000)


def test_a_receiver_that_does_not_answer_times_out(receiver: Server) -> None:
    with pytest.raises(OutboundFailedError) as caught:
        local().post(f"{receiver.url}/hang", b"{}", {}, timeout=0.3, max_answer=100)
    assert caught.value.reason == "timeout"


def test_a_closed_port_is_a_connect_failure() -> None:
    with pytest.raises(OutboundFailedError) as caught:
        local().post("http://127.0.0.1:9/", b"{}", {}, timeout=5, max_answer=100)
    assert caught.value.reason == "connect_failed"


# -- https: the checked address, the name for SNI and the certificate -------------------

def _certificate(tmp: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / f"{name}.pem", tmp / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[int, ssl.SSLContext, list[str]]]:
    """An https receiver on loopback with a certificate for hooks.example.vn; yields its
    port, a client context trusting that certificate, and the SNI names it was sent."""
    cert_file, key_file = _certificate(tmp_path, "hooks.example.vn")
    names: list[str] = []
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert_file, key_file)
    server_tls.sni_callback = lambda _sock, name, _ctx: names.append(str(name)) or None

    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = str(self.headers.get("Host")).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.socket = server_tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], ssl.create_default_context(cafile=str(cert_file)), names
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_https_connects_to_the_checked_address_with_the_names_sni_and_certificate(
        tls_receiver: tuple[int, ssl.SSLContext, list[str]]) -> None:
    port, trust, names = tls_receiver
    poster = SafePoster(allowed=LOOPBACK, tls=trust, resolver=lambda _h, _p: ["127.0.0.1"])
    answer = poster.post(f"https://hooks.example.vn:{port}/hook", b"{}", {}, timeout=5,
                         max_answer=100)
    assert (answer.status, answer.body) == (200, f"hooks.example.vn:{port}".encode())
    assert names == ["hooks.example.vn"]


def test_https_to_a_name_the_certificate_does_not_cover_fails(
        tls_receiver: tuple[int, ssl.SSLContext, list[str]]) -> None:
    port, trust, _names = tls_receiver
    poster = SafePoster(allowed=LOOPBACK, tls=trust, resolver=lambda _h, _p: ["127.0.0.1"])
    with pytest.raises(OutboundFailedError) as caught:
        poster.post(f"https://other.example.vn:{port}/hook", b"{}", {}, timeout=5,
                    max_answer=100)
    assert caught.value.reason == "tls_failed"
