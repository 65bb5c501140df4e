"""The catalogue's proxy through the app (issue 16 "Done means", R-COMP-3, R-JOIN-3;
docs/catalogue.md "Proxy mode"), with a real https service on loopback (allowed by
`LGSP_WEBHOOK_ALLOW_PRIVATE=127.0.0.0/8`, its certificate trusted through `SSL_CERT_FILE`):
publish → approve → request → grant → a proxied call reaches the service with the
caller's identity signed by the hub (verified with the key the hub publishes) and the
answer comes back; revoke → refused at once; the rate limit; the body bound; usage in
both units' reports; SSRF refusals."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from http_message_signatures import HTTPMessageVerifier, HTTPSignatureKeyResolver, algorithms
from http_message_signatures.digests import ContentDigest

from chalicelib.services import registry
from tests.integration.test_catalogue import approve, publication, refs
from tests.integration.test_catalogue_access import UNIT_D, introspect
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, SignedClient, World

REF = f"{UNIT_B}/land-records"
CALL = f"/v1/catalogue/services/{REF}/call"


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    return {"operator_units": UNIT_C, "webhook_allow_private": "127.0.0.0/8",
            "proxy_rate_per_minute": 4}


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def _certificate(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / "service.pem", tmp / "service.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[Seen]]]:
    """An https service on loopback: echoes what it got as JSON; `/moved` redirects to
    the cloud metadata address."""
    cert_file, key_file = _certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    seen: list[Seen] = []

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Seen(self.command, self.path, {k.lower(): v for k, v in
                                                     self.headers.items()},
                           self.rfile.read(length) if length else b"")
            seen.append(request)
            if self.path.endswith("/moved"):
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps({"path": self.path, "got": len(request.body)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Set-Cookie", "sid=internal")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        def log_message(self, format: str, *args: object) -> None:
            return None

    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/api", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def granted(hub: World, base_url: str, grant: dict[str, Any] | None = None) -> str:
    """The service published at `base_url`, listed, and granted to unit A's app (the
    grant's body: `grant`)."""
    res = hub.b.post("/v1/catalogue/services", publication(base_url=base_url))
    assert res.status == 201, res.body
    approve(hub)
    asked = hub.a.post("/v1/catalogue/requests", {"service": REF, "app": hub.a.creds.app,
                                                 "purpose": "Tra cứu thửa đất"})
    assert asked.status == 201, asked.body
    rid = str(asked.body["id"])
    res = hub.b.post(f"/v1/catalogue/requests/{rid}/grant", grant)
    assert res.status == 200, res.body
    return rid


class _HubKey(HTTPSignatureKeyResolver):
    def __init__(self, jwks: dict[str, Any]) -> None:
        self.keys = {k["kid"]: k for k in jwks["keys"]}

    def resolve_public_key(self, key_id: str) -> Any:
        jwk = self.keys[key_id]
        n, e = (int.from_bytes(base64.urlsafe_b64decode(jwk[x] + "=="), "big")
                for x in ("n", "e"))
        return rsa.RSAPublicNumbers(e, n).public_key()


@dataclass
class _Message:
    method: str
    url: str
    headers: dict[str, str]


class _Sha512(ContentDigest):
    algorithm = "sha-512"


class _ServiceVerifier(HTTPMessageVerifier):
    """The library's verifier, its `created` window on the hub's (fake) clock."""

    content_digest_class = _Sha512
    now = 0

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        created = int(sig_input.params["created"])
        if abs(created - self.now) > 300:
            raise ValueError("created outside the service's skew window")


def verify_as_a_service(hub: World, seen: Seen, url: str) -> dict[str, str]:
    """What a service does (docs/catalogue.md): verify the hub's `lgsp-proxy` signature
    with the hub's published key, `created` within its window, the body against its
    digest; then trust the headers."""
    jwks = hub.a.get("/.well-known/jwks.json").body
    verifier = _ServiceVerifier(signature_algorithm=algorithms.RSA_PSS_SHA512,
                                key_resolver=_HubKey(jwks))
    verifier.now = hub.deps.clock.now()
    results = verifier.verify(_Message(seen.method, url, seen.headers), body=seen.body)
    covered = [str(c).strip("\"") for c in results[0].covered_components]
    assert results[0].label == "lgsp-proxy"
    assert {"@method", "@target-uri", "lgsp-caller-unit", "lgsp-caller-app", "lgsp-grant",
            "content-digest"} <= set(covered)
    return {k: seen.headers[k] for k in ("lgsp-caller-unit", "lgsp-caller-app", "lgsp-grant")}


def test_a_granted_app_calls_through_the_hub_then_revoked_is_refused_at_once(
        hub: World, service: tuple[str, list[Seen]]) -> None:  # R-COMP-3, R-JOIN-3
    base, seen = service
    assert hub.a.get(f"{CALL}/parcels/12").code == "catalogue_entry_not_found"
    rid = granted(hub, base)
    grant_id = hub.a.get(f"/v1/catalogue/requests/{rid}").body["grant_id"]
    assert hub.c.get(f"{CALL}/parcels/12").code == "no_grant"  # unit C has none
    assert seen == []

    got = hub.a.get(f"{CALL}/parcels/12?b=a%20b&x=1",
                    headers={"cookie": "s=1", "lgsp-caller-unit": UNIT_C, "x-trace": "t1"})
    assert got.status == 200, got.body
    assert got.body == {"path": "/api/parcels/12?b=a%20b&x=1", "got": 0}
    assert "set-cookie" not in got.headers
    assert got.headers["lgsp-relayed"] == "true"  # the service's answer, not the hub's
    assert "lgsp-relayed" not in hub.c.get(f"{CALL}/parcels/12").headers  # a refusal
    forwarded = seen[-1]
    assert forwarded.headers["x-trace"] == "t1" and "cookie" not in forwarded.headers
    assert "authorization" not in forwarded.headers
    url = base.removesuffix("/api") + forwarded.path
    assert verify_as_a_service(hub, forwarded, url) == {
        "lgsp-caller-unit": UNIT_A, "lgsp-caller-app": hub.a.creds.app,
        "lgsp-grant": grant_id}

    posted = hub.a.post(f"{CALL}/parcels", {"so_thua": 12})
    assert posted.status == 200 and posted.body["got"] == len(b'{"so_thua": 12}')
    verify_as_a_service(hub, seen[-1], base.removesuffix("/api") + seen[-1].path)
    tampered = Seen(**{**seen[-1].__dict__, "body": b'{"so_thua": 13}'})
    with pytest.raises(Exception, match="(?i)digest"):
        verify_as_a_service(hub, tampered, base.removesuffix("/api") + seen[-1].path)

    assert hub.b.post(f"/v1/catalogue/requests/{rid}/revoke").status == 200
    before = len(seen)
    assert hub.a.get(f"{CALL}/parcels/12").code == "no_grant"
    assert len(seen) == before


def test_rate_limit_body_bound_and_path_rules(hub: World,
                                              service: tuple[str, list[Seen]]) -> None:
    base, seen = service
    granted(hub, base)
    big = hub.a.call("PUT", f"{CALL}/files", raw=b"x" * (6 * 1024 * 1024 + 1),
                     headers={"content-type": "application/octet-stream"})
    assert big.status == 413 and big.code == "proxy_body_too_large"
    assert seen == []
    for _ in range(4):  # the module's LGSP_PROXY_RATE_PER_MINUTE
        assert hub.a.get(f"{CALL}/parcels").status == 200
    over = hub.a.get(f"{CALL}/parcels")
    assert over.status == 429 and over.code == "rate_limited"
    assert 1 <= int(over.headers["retry-after"]) <= 60
    assert len(seen) == 4
    hub.deps.clock.advance(int(over.headers["retry-after"]))  # type: ignore[attr-defined]
    assert hub.a.get(f"{CALL}").status == 200  # a new minute; the service's root
    assert seen[-1].path == "/api/"
    assert hub.a.get(f"{CALL}/..").code in ("invalid_proxy_path", "route_not_found")


def test_usage_appears_in_the_reports_of_both_units(hub: World,
                                                    service: tuple[str, list[Seen]]) -> None:
    base, _ = service
    granted(hub, base)
    assert hub.a.post(f"{CALL}/parcels", {"q": "12"}).status == 200
    assert hub.a.get(f"{CALL}/moved").code == "service_redirect_refused"
    report = hub.a.get(f"/v1/reports/units/{UNIT_A}?date=2026-11&period=month")
    assert report.status == 200, report.body
    consumer = report.body["services"]
    provider = hub.b.get(f"/v1/reports/units/{UNIT_B}?date=2026-11&period=month").body["services"]
    assert consumer["consumer"]["calls"] == 2 and consumer["consumer"]["failures"] == 1
    assert consumer["consumer"]["bytes_sent"] == len(b'{"q": "12"}')
    assert consumer["provider"]["calls"] == 0
    mine = consumer["consumer"]
    assert provider["provider"] == {"calls": 2, "failures": 1,  # its answers it sent
                                    "bytes_sent": mine["bytes_received"],
                                    "bytes_received": mine["bytes_sent"]}
    assert provider["consumer"]["calls"] == 0


def test_the_request_view_shows_the_grants_usage_today_and_this_month(
        hub: World, service: tuple[str, list[Seen]]) -> None:  # R-COMP-3
    base, _ = service
    request = f"/v1/catalogue/requests/{granted(hub, base)}"
    assert hub.a.get(request).body["usage"] == {
        "day": "2026-11-18", "month": "2026-11",
        "today": {"calls": 0, "failures": 0, "request_bytes": 0, "answer_bytes": 0},
        "this_month": {"calls": 0, "failures": 0, "request_bytes": 0, "answer_bytes": 0}}
    answer = hub.a.post(f"{CALL}/parcels", {"q": "12"})
    assert hub.a.get(f"{CALL}/moved").code == "service_redirect_refused"
    hub.deps.clock.advance(86_400)  # type: ignore[attr-defined]
    assert hub.a.get(f"{CALL}/parcels").status == 200
    answered = len(json.dumps(answer.body).encode())  # the service's compact echo
    usage = hub.b.get(request).body["usage"]  # the provider sees the same
    assert usage == hub.a.get(request).body["usage"] == hub.c.get(request).body["usage"]
    assert (usage["day"], usage["month"]) == ("2026-11-19", "2026-11")
    assert usage["today"] == {"calls": 1, "failures": 0, "request_bytes": 0,
                              "answer_bytes": usage["today"]["answer_bytes"]}
    assert usage["this_month"] == {
        "calls": 3, "failures": 1, "request_bytes": len(b'{"q": "12"}'),
        "answer_bytes": usage["today"]["answer_bytes"] + answered}
    listing = hub.a.get("/v1/catalogue/grants?role=consumer").body["items"]
    assert listing[0]["usage"] is None  # one read per item: only the single view has it
    hub.b.post(f"{request}/revoke")
    assert hub.a.get(request).body["usage"]["this_month"]["calls"] == 3  # kept


def test_the_rate_set_when_granting_is_enforced_and_only_the_owner_changes_it(
        hub: World, service: tuple[str, list[Seen]]) -> None:  # R-COMP-3
    base, seen = service
    rid = granted(hub, base, {"rate_per_minute": 2})  # the hub's default is 4
    request = f"/v1/catalogue/requests/{rid}"
    assert hub.a.get(request).body["rate_per_minute"] == 2
    assert [hub.a.get(f"{CALL}/parcels").status for _ in range(2)] == [200, 200]
    over = hub.a.get(f"{CALL}/parcels")
    assert over.code == "rate_limited" and over.body["error"]["limit"] == 2
    assert len(seen) == 2

    assert hub.a.call("PATCH", request, {"rate_per_minute": 50}).code == "forbidden"
    registry.create_unit(hub.deps, UNIT_D, "Đơn vị D")
    other = SignedClient(hub.client, hub.deps, registry.create_app(hub.deps, UNIT_D, "app"))
    assert other.call("PATCH", request, {"rate_per_minute": 50}).code == \
        "access_request_not_found"
    assert hub.a.get(f"{CALL}/parcels").code == "rate_limited"  # still 2

    for bad in ({"rate_per_minute": 0}, {"rate_per_minute": 100_001},
                {"rate_per_minute": "3"}, {}):
        assert hub.b.call("PATCH", request, bad).code == "validation_failed", bad
    changed = hub.b.call("PATCH", request, {"rate_per_minute": 3})
    assert changed.status == 200 and changed.body["rate_per_minute"] == 3, changed.body
    assert hub.a.get(f"{CALL}/parcels").status == 200  # the third of this minute
    assert hub.a.get(f"{CALL}/parcels").code == "rate_limited"
    assert hub.c.call("PATCH", request, {"rate_per_minute": None}).status == 200  # operator
    assert hub.a.get(request).body["rate_per_minute"] == 4  # the hub's default again
    assert hub.a.get(f"{CALL}/parcels").status == 200

    assert hub.b.post(f"{request}/revoke").status == 200
    assert hub.b.call("PATCH", request, {"rate_per_minute": 9}).code == \
        "access_state_conflict"


def test_a_rate_out_of_bounds_at_grant_time_grants_nothing(
        hub: World, service: tuple[str, list[Seen]]) -> None:
    base, _ = service
    assert hub.b.post("/v1/catalogue/services", publication(base_url=base)).status == 201
    approve(hub)
    rid = hub.a.post("/v1/catalogue/requests", {"service": REF, "app": hub.a.creds.app,
                                               "purpose": "Tra cứu"}).body["id"]
    for bad in (0, 100_001, 2.5, True):
        res = hub.b.post(f"/v1/catalogue/requests/{rid}/grant", {"rate_per_minute": bad})
        assert res.code == "validation_failed", (bad, res.body)
    assert hub.a.get(f"/v1/catalogue/requests/{rid}").body["state"] == "pending"
    assert hub.a.get(f"{CALL}/parcels").code == "no_grant"
    assert hub.b.post(f"/v1/catalogue/requests/{rid}/grant",
                      {"rate_per_minute": 100_000}).body["rate_per_minute"] == 100_000


@pytest.mark.parametrize(("base_url", "reason"), [
    ("https://169.254.169.254/latest", "link_local"),
    ("https://10.1.2.3/api", "private"),
])
def test_a_service_at_an_address_the_hub_does_not_call_is_refused(
        hub: World, base_url: str, reason: str) -> None:
    granted(hub, base_url)
    res = hub.a.get(f"{CALL}/meta-data")
    assert res.status == 502 and res.code == "service_address_refused"
    assert res.body["error"]["reason"] == reason


def test_one_grant_opens_both_ways_and_one_revocation_closes_both(
        hub: World, service: tuple[str, list[Seen]]) -> None:  # R-COMP-3, R-JOIN-3
    """Publish → approve → search → request → grant: the brokered session opens and the
    proxy call goes through; revoke: both refused at once, nothing more forwarded."""
    base, seen = service
    rid = granted(hub, base)
    assert refs(hub.c.get("/v1/catalogue/services?q=thua%20dat")) == [REF]
    opened = hub.a.post("/v1/auth/sessions", {"service": REF})
    assert opened.status == 201, opened.body
    token = opened.body["token"]
    assert introspect(hub, token)
    assert hub.a.get(f"{CALL}/parcels/12").status == 200
    assert hub.b.post(f"/v1/catalogue/requests/{rid}/revoke").status == 200
    assert not introspect(hub, token)  # the brokered token, before it expires
    assert hub.a.post("/v1/auth/sessions", {"service": REF}).code == "access_denied"
    before = len(seen)
    assert hub.a.get(f"{CALL}/parcels/12").code == "no_grant"
    assert len(seen) == before
