"""The local host's WebSocket API and its management API, over real sockets: a real
`websockets` client on one side, a real boto3 `apigatewaymanagementapi` client on the
other, and a small Chalice app in between that records what its handlers receive."""

from __future__ import annotations

import base64
import json
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from chalice import Chalice
from chalice.app import WebsocketEvent
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from infra.local.host import HubServer, make_server
from infra.local.processes import free_port
from infra.local.ws_sigv4 import ManagementAuth
from tests.e2e.conftest import LocalHub

pytestmark = pytest.mark.e2e

REGION = "ap-southeast-1"
AUTH = ManagementAuth("LGSPWSTEST0001", "test-management-secret", region=REGION)
WAIT = 10.0  # upper bound of every wait; nothing sleeps


def management(endpoint: str, secret: str = AUTH.secret_key,
               access_key: str = AUTH.access_key) -> Any:
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=access_key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


class Records:
    """Every event the test app's handlers received, waited on without sleeping."""

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._changed = threading.Condition()

    def add(self, event: dict[str, Any]) -> None:
        with self._changed:
            self._events.append(event)
            self._changed.notify_all()

    def of(self, route: str, cid: str) -> list[dict[str, Any]]:
        with self._changed:
            return [e for e in self._events if e["requestContext"]["routeKey"] == route
                    and e["requestContext"]["connectionId"] == cid]

    def wait(self, route: str, cid: str) -> dict[str, Any]:
        with self._changed:
            assert self._changed.wait_for(lambda: self.of(route, cid), timeout=WAIT), route
            return self.of(route, cid)[0]

    def connect_marked(self, marker: str) -> dict[str, Any]:
        """The $connect event of the client that sent `X-Test-Id: marker`."""
        def found() -> list[dict[str, Any]]:
            return [e for e in self._events if e["requestContext"]["routeKey"] == "$connect"
                    and e["headers"].get("X-Test-Id") == marker]
        with self._changed:
            assert self._changed.wait_for(found, timeout=WAIT)
            return found()[0]


def make_app(records: Records) -> Chalice:
    """Refuses `x-test-deny`, fails on `x-test-explode`, echoes every message back through
    the management API of the host that holds the connection."""
    app = Chalice(app_name="ws-gateway-test")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    clients: dict[str, Any] = {}

    @app.route("/ping")
    def ping() -> dict[str, bool]:
        return {"pong": True}

    @app.on_ws_connect()
    def on_connect(event: WebsocketEvent) -> dict[str, Any]:
        raw = event.to_dict()
        records.add(raw)
        names = {name.lower() for name in raw["headers"]}
        if "x-test-explode" in names:
            raise RuntimeError("refused by a failing handler")
        if "x-test-deny" in names:
            return {"statusCode": 401, "body": json.dumps({"error": "denied"})}
        return {"statusCode": 200}

    @app.on_ws_message()
    def on_message(event: WebsocketEvent) -> None:
        raw = event.to_dict()
        records.add(raw)
        if raw["body"] == "explode":
            raise RuntimeError("message handler failed")
        endpoint = f"http://{event.domain_name}/ws"
        client = clients.setdefault(endpoint, management(endpoint))
        data = base64.b64decode(raw["body"]) if raw["isBase64Encoded"] else \
            f"echo:{raw['body']}".encode()
        client.post_to_connection(ConnectionId=event.connection_id, Data=data)

    @app.on_ws_disconnect()
    def on_disconnect(event: WebsocketEvent) -> None:
        records.add(event.to_dict())

    return app


@dataclass
class Host:
    server: HubServer
    thread: threading.Thread
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/ws"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(WAIT)


def start_host(app: Chalice) -> Host:
    port = free_port()
    server = make_server(port, app=app, ws_auth=AUTH, ws_close_timeout=2.0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return Host(server, thread, port)


@pytest.fixture(scope="module")
def records() -> Records:
    return Records()


@pytest.fixture(scope="module")
def hosts(records: Records) -> Iterator[tuple[Host, Host]]:
    """Two host processes' worth of servers running the same app on two ports."""
    app = make_app(records)
    first, second = start_host(app), start_host(app)
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


@pytest.fixture()
def host(hosts: tuple[Host, Host]) -> Host:
    return hosts[0]


def open_ws(host: Host, records: Records, query: str = "", **headers: str
            ) -> tuple[ClientConnection, str]:
    """A connected client and its connection id (from the $connect event it caused)."""
    marker = uuid.uuid4().hex
    ws = connect(f"{host.ws_url}{query}", additional_headers={"X-Test-Id": marker, **headers},
                 user_agent_header="ws-gateway-test/1", open_timeout=WAIT, legacy=True)
    return ws, records.connect_marked(marker)["requestContext"]["connectionId"]


def test_connect_event_carries_context_headers_and_query(host: Host, records: Records) -> None:
    ws, cid = open_ws(host, records, "?unit=000.00.31.H99&tag=a&tag=b", **{"X-Custom": "v1"})
    with ws:
        event = records.wait("$connect", cid)
        ctx = event["requestContext"]
        assert ctx["eventType"] == "CONNECT" and ctx["stage"] == "ws" and ctx["apiId"] == "local"
        assert ctx["domainName"] == f"127.0.0.1:{host.port}"
        assert ctx["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "ws-gateway-test/1"}
        assert len(cid) == 16 and cid.replace("-", "").replace("_", "").isalnum()
        assert isinstance(ctx["connectedAt"], int) and ctx["requestId"]
        assert event["headers"]["X-Custom"] == "v1"
        assert event["multiValueHeaders"]["X-Custom"] == ["v1"]
        assert event["queryStringParameters"] == {"unit": "000.00.31.H99", "tag": "b"}
        assert event["multiValueQueryStringParameters"]["tag"] == ["a", "b"]
        assert event["isBase64Encoded"] is False
    other, other_cid = open_ws(host, records)
    with other:
        assert other_cid != cid
        assert "queryStringParameters" not in records.wait("$connect", other_cid)


def test_refused_connect_answers_the_handler_status_and_body(host: Host,
                                                             records: Records) -> None:
    marker = uuid.uuid4().hex
    with pytest.raises(InvalidStatus) as refused:
        connect(host.ws_url, additional_headers={"X-Test-Id": marker, "x-test-deny": "1"},
                open_timeout=WAIT)
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body) == {"error": "denied"}
    cid = records.connect_marked(marker)["requestContext"]["connectionId"]
    with pytest.raises(management(host.endpoint).exceptions.GoneException):
        management(host.endpoint).get_connection(ConnectionId=cid)
    assert records.of("$disconnect", cid) == []


def test_failing_connect_handler_answers_500(host: Host) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(host.ws_url, additional_headers={"x-test-explode": "1"}, open_timeout=WAIT)
    assert refused.value.response.status_code == 500


def test_messages_reach_the_handler_in_order_and_replies_come_back(host: Host,
                                                                   records: Records) -> None:
    ws, cid = open_ws(host, records)
    with ws:
        for n in range(5):
            ws.send(f"m{n}")
        assert [ws.recv(timeout=WAIT) for _ in range(5)] == [f"echo:m{n}" for n in range(5)]
        ws.send(b"\x00\xffbin")
        assert ws.recv(timeout=WAIT) == b"\x00\xffbin"
        assert ws.ping().wait(WAIT)
    events = records.of("$default", cid)
    assert [e["body"] for e in events[:5]] == [f"m{n}" for n in range(5)]
    assert events[0]["requestContext"]["eventType"] == "MESSAGE"
    assert events[0]["requestContext"]["messageId"]
    assert events[5]["isBase64Encoded"] is True
    assert base64.b64decode(events[5]["body"]) == b"\x00\xffbin"


def test_failing_message_handler_tells_the_client(host: Host, records: Records) -> None:
    ws, cid = open_ws(host, records)
    with ws:
        ws.send("explode")
        error = json.loads(ws.recv(timeout=WAIT))
        assert error["message"] == "Internal server error" and error["connectionId"] == cid
        ws.send("still-open")
        assert ws.recv(timeout=WAIT) == "echo:still-open"


def test_concurrent_posts_arrive_whole_and_in_each_senders_order(host: Host,
                                                                 records: Records) -> None:
    ws, cid = open_ws(host, records)
    senders, each = 4, 25

    def post_all(sender: int) -> None:
        client = management(host.endpoint)
        for n in range(each):
            client.post_to_connection(ConnectionId=cid, Data=f"{sender}:{n}:{'x' * 2000}".encode())

    with ws:
        threads = [threading.Thread(target=post_all, args=(s,)) for s in range(senders)]
        for thread in threads:
            thread.start()
        received = [ws.recv(timeout=WAIT) for _ in range(senders * each)]
        for thread in threads:
            thread.join(WAIT)
    for sender in range(senders):
        mine = [str(m).split(":") for m in received if str(m).startswith(f"{sender}:")]
        assert [int(n) for _, n, _ in mine] == list(range(each))
        assert all(pad == "x" * 2000 for _, _, pad in mine)


def test_get_connection_describes_it(host: Host, records: Records) -> None:
    ws, cid = open_ws(host, records)
    with ws:
        info = management(host.endpoint).get_connection(ConnectionId=cid)
        assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "ws-gateway-test/1"}
        assert info["ConnectedAt"] <= info["LastActiveAt"]
        assert abs(info["ConnectedAt"].timestamp() - time.time()) < 60


def test_delete_closes_the_socket_and_disconnects_once(host: Host, records: Records) -> None:
    ws, cid = open_ws(host, records)
    with ws:
        management(host.endpoint).delete_connection(ConnectionId=cid)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
    event = records.wait("$disconnect", cid)
    assert event["requestContext"]["eventType"] == "DISCONNECT"
    assert event["requestContext"]["disconnectStatusCode"] == 1000
    client = management(host.endpoint)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=cid, Data=b"late")
    assert len(records.of("$disconnect", cid)) == 1


def test_client_close_disconnects_once(host: Host, records: Records) -> None:
    ws, cid = open_ws(host, records)
    ws.close(code=4001, reason="bye")
    event = records.wait("$disconnect", cid)
    assert event["requestContext"]["disconnectStatusCode"] == 4001
    assert event["requestContext"]["disconnectReason"] == "bye"
    assert event["headers"]["X-Test-Id"]
    client = management(host.endpoint)
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId=cid)
    assert len(records.of("$disconnect", cid)) == 1


def test_unknown_connection_is_gone(host: Host) -> None:
    client = management(host.endpoint)
    for call in (lambda: client.post_to_connection(ConnectionId="nope", Data=b"x"),
                 lambda: client.get_connection(ConnectionId="nope"),
                 lambda: client.delete_connection(ConnectionId="nope")):
        with pytest.raises(client.exceptions.GoneException):
            call()


def test_management_api_refuses_other_keys(host: Host, records: Records) -> None:
    ws, cid = open_ws(host, records)
    with ws:
        for client in (management(host.endpoint, secret="wrong-secret"),
                       management(host.endpoint, access_key="AKIAOTHERKEY")):
            with pytest.raises(client.exceptions.ForbiddenException):
                client.post_to_connection(ConnectionId=cid, Data=b"forged")
        unsigned = requests.post(f"{host.endpoint}/@connections/{cid}", data=b"forged",
                                 timeout=WAIT)
        assert unsigned.status_code == 403
        assert unsigned.headers["x-amzn-ErrorType"] == "ForbiddenException"
        management(host.endpoint).post_to_connection(ConnectionId=cid, Data=b"genuine")
        assert ws.recv(timeout=WAIT) == "genuine"  # nothing forged arrived before it


def test_each_host_serves_only_its_own_connections(hosts: tuple[Host, Host],
                                                   records: Records) -> None:
    first, second = hosts
    ws, cid = open_ws(first, records)
    with ws:
        other = management(second.endpoint)
        with pytest.raises(other.exceptions.GoneException):
            other.post_to_connection(ConnectionId=cid, Data=b"wrong host")
        management(first.endpoint).post_to_connection(ConnectionId=cid, Data=b"right host")
        assert ws.recv(timeout=WAIT) == "right host"


def test_plain_get_needs_an_upgrade_and_rest_still_works(host: Host) -> None:
    plain = requests.get(host.endpoint, timeout=WAIT)
    assert plain.status_code == 426
    assert plain.json()["error"]["code"] == "upgrade_required"
    assert plain.headers["Upgrade"] == "websocket"
    assert requests.get(f"http://127.0.0.1:{host.port}/ping", timeout=WAIT).json() == \
        {"pong": True}


def test_app_without_websocket_handlers_answers_404() -> None:
    app = Chalice(app_name="no-ws")

    @app.route("/ping")
    def ping() -> dict[str, bool]:
        return {"pong": True}

    plain = start_host(app)
    try:
        with pytest.raises(InvalidStatus) as refused:
            connect(plain.ws_url, open_timeout=WAIT)
        assert refused.value.response.status_code == 404
        assert requests.get(f"http://127.0.0.1:{plain.port}/ping", timeout=WAIT).ok
    finally:
        plain.stop()


def test_shutdown_closes_every_socket_with_1001(records: Records) -> None:
    host = start_host(make_app(records))
    clients = [open_ws(host, records) for _ in range(2)]
    started = time.monotonic()
    host.stop()
    assert time.monotonic() - started < WAIT
    assert not host.thread.is_alive()
    for ws, cid in clients:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert records.wait("$disconnect", cid)["requestContext"]["disconnectStatusCode"] == \
            1001
        assert len(records.of("$disconnect", cid)) == 1
        ws.close()


def test_local_hub_generates_the_management_key(local_hub: LocalHub) -> None:
    path = local_hub.var / "ws-credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    creds = json.loads(path.read_text())
    assert creds["access_key"] and creds["secret_key"]
    client = management(f"{local_hub.url}/ws", secret=creds["secret_key"],
                        access_key=creds["access_key"])
    response = requests.get(f"{local_hub.url}/ws", timeout=WAIT)
    if response.status_code == 404:  # the hub's app has no WebSocket handler (yet)
        return
    assert response.status_code == 426
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="nope", Data=b"x")
