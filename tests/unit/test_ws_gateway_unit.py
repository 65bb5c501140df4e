"""The pure pieces of the local host's WebSocket gateway: API Gateway event shapes, the
SigV4 check of the management API, its routing and errors, message reassembly."""

from __future__ import annotations

import base64
import json
import socket
from datetime import UTC, datetime, timedelta
from email.message import Message

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from infra.local.ws_connection import WsConnection, _Assembler
from infra.local.ws_events import ClientInfo, header_maps, iso_ms, query_maps
from infra.local.ws_management import ManagementApi, connection_id_of
from infra.local.ws_sigv4 import ManagementAuth

AUTH = ManagementAuth("LGSPWSUNIT", "unit-secret", region="ap-southeast-1")
HOST = "127.0.0.1:8000"


def info(cid: str = "abc") -> ClientInfo:
    return ClientInfo.from_request(
        cid, "/ws?unit=1", [("Host", HOST), ("User-Agent", "ua"), ("X-A", "1"), ("x-a", "2")],
        source_ip="127.0.0.1", default_host="unused", connected_at=1_700_000_000_000)


def signed(method: str, target: str, body: bytes = b"", secret: str = AUTH.secret_key,
           ) -> Message:
    """Headers of a request signed by botocore's own SigV4 signer."""
    request = AWSRequest(method=method, url=f"http://{HOST}{target}", data=body,
                         headers={"Host": HOST})
    SigV4Auth(Credentials(AUTH.access_key, secret), "execute-api", AUTH.region).add_auth(request)
    headers = Message()
    for name, value in request.headers.items():
        headers[name] = value
    return headers


# Events


def test_header_maps_keep_the_first_spelling_and_every_value() -> None:
    first, multi = header_maps([("X-A", "1"), ("Host", "h"), ("x-a", "2")])
    assert first == {"X-A": "1", "Host": "h"}
    assert multi == {"X-A": ["1", "2"], "Host": ["h"]}


def test_query_maps_last_value_wins_and_no_query_means_no_keys() -> None:
    assert query_maps("/ws?a=1&a=2&b=") == {
        "queryStringParameters": {"a": "2", "b": ""},
        "multiValueQueryStringParameters": {"a": ["1", "2"], "b": [""]}}
    assert query_maps("/ws") == {}


def test_events_have_the_api_gateway_shape() -> None:
    client = info()
    connect = client.connect_event()
    ctx = connect["requestContext"]
    assert (ctx["routeKey"], ctx["eventType"], ctx["stage"], ctx["apiId"]) == \
        ("$connect", "CONNECT", "ws", "local")
    assert ctx["domainName"] == HOST and ctx["connectedAt"] == 1_700_000_000_000
    assert ctx["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "ua"}
    assert connect["headers"]["X-A"] == "1" and connect["multiValueHeaders"]["X-A"] == ["1", "2"]
    assert connect["queryStringParameters"] == {"unit": "1"}
    text = client.message_event("hi")
    assert text["body"] == "hi" and text["isBase64Encoded"] is False
    assert text["requestContext"]["messageId"]
    binary = client.message_event(b"\xff\x00")
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == b"\xff\x00"
    gone = client.disconnect_event(1001, "Going away")["requestContext"]
    assert (gone["eventType"], gone["disconnectStatusCode"], gone["disconnectReason"]) == \
        ("DISCONNECT", 1001, "Going away")


def test_times_are_iso_utc_with_milliseconds() -> None:
    assert iso_ms(1_700_000_000_123) == "2023-11-14T22:13:20.123Z"


# SigV4


def test_a_request_signed_by_botocore_passes() -> None:
    headers = signed("POST", "/ws/%40connections/abc", b"hello")
    assert AUTH.verify("POST", "/ws/%40connections/abc", headers, b"hello") is None


@pytest.mark.parametrize(("method", "target", "body"), [
    ("POST", "/ws/%40connections/abc", b"tampered"),
    ("POST", "/ws/%40connections/other", b"hello"),
    ("DELETE", "/ws/%40connections/abc", b"hello"),
])
def test_any_change_to_a_signed_request_is_refused(method: str, target: str,
                                                   body: bytes) -> None:
    headers = signed("POST", "/ws/%40connections/abc", b"hello")
    assert AUTH.verify(method, target, headers, body) is not None


def test_wrong_key_missing_signature_and_no_configured_key_are_refused() -> None:
    target = "/ws/%40connections/abc"
    assert AUTH.verify("GET", target, signed("GET", target, secret="wrong"), b"")
    assert AUTH.verify("GET", target, Message(), b"") == "Missing Authentication Token"
    other_key = ManagementAuth("OTHERKEY", AUTH.secret_key, region=AUTH.region)
    assert other_key.verify("GET", target, signed("GET", target), b"")
    unconfigured = ManagementAuth("", "", region=AUTH.region)
    assert unconfigured.verify("GET", target, signed("GET", target), b"")
    other_region = ManagementAuth(AUTH.access_key, AUTH.secret_key, region="us-east-1")
    assert other_region.verify("GET", target, signed("GET", target), b"")


def test_a_signature_older_or_newer_than_five_minutes_is_refused() -> None:
    target = "/ws/%40connections/abc"
    headers = signed("GET", target)
    now = datetime.now(UTC)
    assert AUTH.verify("GET", target, headers, b"", now=now + timedelta(minutes=4)) is None
    assert AUTH.verify("GET", target, headers, b"", now=now + timedelta(minutes=6)) == \
        "Signature expired"
    assert AUTH.verify("GET", target, headers, b"", now=now - timedelta(minutes=6)) == \
        "Signature expired"


def test_a_declared_payload_hash_must_match_the_body() -> None:
    target = "/ws/%40connections/abc"
    headers = signed("POST", target, b"hello")
    headers["X-Amz-Content-SHA256"] = "0" * 64
    assert AUTH.verify("POST", target, headers, b"hello") is not None


def test_from_env_reads_the_lgsp_keys() -> None:
    auth = ManagementAuth.from_env({"LGSP_WS_ACCESS_KEY": "A", "LGSP_WS_SECRET_KEY": "S",
                                    "LGSP_AWS_REGION": "us-west-2"})
    assert (auth.access_key, auth.secret_key, auth.region) == ("A", "S", "us-west-2")
    assert ManagementAuth.from_env({}, region="eu-west-1").region == "eu-west-1"


# Management API


class FakeConnection:
    def __init__(self) -> None:
        self.info = info("abc")
        self.last_active_ms = self.info.connected_at + 5000
        self.is_open = True
        self.sent: list[bytes] = []
        self.closed: list[int] = []

    def send(self, data: bytes) -> bool:
        self.sent.append(data)
        return self.is_open

    def close(self, code: int, reason: str = "") -> None:
        self.closed.append(code)


@pytest.fixture()
def fake() -> FakeConnection:
    return FakeConnection()


@pytest.fixture()
def api(fake: FakeConnection) -> ManagementApi:
    return ManagementApi(AUTH, lambda cid: fake if cid == "abc" else None)


def call(api: ManagementApi, method: str, cid: str, body: bytes = b"",
         secret: str = AUTH.secret_key) -> tuple[int, dict[str, str], bytes]:
    target = f"/ws/%40connections/{cid}"
    reply = api.handle(method, target, signed(method, target, body, secret), body)
    return reply.status, reply.headers, reply.body


def test_connection_ids_come_from_the_path_only() -> None:
    assert connection_id_of("/ws/@connections/abc") == "abc"
    assert connection_id_of("/ws/@connections/a%3Db?x=1") == "a=b"
    assert connection_id_of("/ws/@connections/") is None
    assert connection_id_of("/ws/@connections/a/b") is None
    assert connection_id_of("/v1/health") is None


def test_post_get_delete(api: ManagementApi, fake: FakeConnection) -> None:
    assert call(api, "POST", "abc", b"hello")[0] == 200
    assert fake.sent == [b"hello"]
    status, headers, body = call(api, "GET", "abc")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"connectedAt": "2023-11-14T22:13:20.000Z",
                                "lastActiveAt": "2023-11-14T22:13:25.000Z",
                                "identity": {"sourceIp": "127.0.0.1", "userAgent": "ua"}}
    assert call(api, "DELETE", "abc")[0] == 204
    assert fake.closed == [1000]


def test_unknown_or_closed_connections_are_gone(api: ManagementApi,
                                                fake: FakeConnection) -> None:
    status, headers, body = call(api, "POST", "nope", b"x")
    assert (status, headers["x-amzn-ErrorType"]) == (410, "GoneException")
    assert "message" in json.loads(body)
    fake.is_open = False
    assert call(api, "GET", "abc")[0] == 410


def test_authentication_comes_before_existence(api: ManagementApi,
                                               fake: FakeConnection) -> None:
    status, headers, _ = call(api, "POST", "nope", b"x", secret="wrong")
    assert (status, headers["x-amzn-ErrorType"]) == (403, "ForbiddenException")
    assert call(api, "POST", "abc", b"x", secret="wrong")[0] == 403
    assert fake.sent == []


def test_too_large_posts_and_other_methods_are_refused(api: ManagementApi) -> None:
    status, headers, _ = call(api, "POST", "abc", b"x" * (128 * 1024 + 1))
    assert (status, headers["x-amzn-ErrorType"]) == (413, "PayloadTooLargeException")
    assert call(api, "PUT", "abc")[0] == 405


# Connection


def test_fragments_join_into_one_message() -> None:
    assembler = _Assembler()
    assert assembler.add(Frame(Opcode.TEXT, b"he", fin=False)) is None
    assert assembler.add(Frame(Opcode.PING, b"")) is None
    assert assembler.add(Frame(Opcode.CONT, b"llo")) == b"hello"
    assert assembler.text is True
    assert assembler.add(Frame(Opcode.BINARY, b"\x00")) == b"\x00"
    assert assembler.text is False


def test_a_connection_reads_in_order_answers_pings_and_reports_the_close() -> None:
    """A WsConnection over a socket pair, with a client speaking raw frames."""
    from websockets.client import ClientProtocol
    from websockets.uri import parse_uri

    server_sock, client_sock = socket.socketpair()
    with server_sock, client_sock:
        client = ClientProtocol(parse_uri("ws://127.0.0.1/ws"))
        client.send_request(client.connect())
        server = ServerProtocol()
        server.receive_data(b"".join(client.data_to_send()))
        request = server.events_received()[0]
        connection = WsConnection(info(), server, server_sock, server_sock.recv, 1.0)
        connection.accept(server.accept(request))
        client.receive_data(client_sock.recv(4096))
        assert client.state is State.OPEN
        client.send_text(b"one", fin=False)
        client.send_continuation(b"-two", fin=True)
        client.send_ping(b"p")
        client.send_binary(b"\x01")
        client.send_close(4000, "done")
        client_sock.sendall(b"".join(client.data_to_send()))
        received: list[str | bytes] = []
        code, reason = connection.run(received.append)
        assert received == ["one-two", b"\x01"]
        assert (code, reason) == (4000, "done")
        client.receive_data(client_sock.recv(4096))
        kinds = [frame.opcode for frame in client.events_received()
                 if isinstance(frame, Frame)]
        assert kinds == [Opcode.PONG, Opcode.CLOSE]
        assert connection.send(b"late") is False

