"""`LgspClient` over real HTTP: signed calls accepted, errors decoded, retries only where
repeating is safe, and one resynchronisation on clock skew."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from lgsp_client.api import LgspClient
from lgsp_client.errors import LgspApiError
from tests.client.fakehub import FakeHub
from tests.client.server import Received, Reply, Server, serve

KEY, SECRET = "AKSRC", "src-secret"


@pytest.fixture
def hub() -> Iterator[tuple[FakeHub, Server]]:
    fake = FakeHub(keys={KEY: SECRET}, units={KEY: "000.00.31.H99"})
    with serve(fake) as server:
        fake.url = server.url
        yield fake, server


def client_for(url: str, naps: list[float] | None = None, **options: object) -> LgspClient:
    sleep = naps.append if naps is not None else (lambda _s: None)
    return LgspClient(url, KEY, SECRET, sleep=sleep, **options)  # type: ignore[arg-type]


def test_signed_call_is_accepted(hub: tuple[FakeHub, Server]) -> None:
    assert client_for(hub[1].url).whoami()["unit"] == "000.00.31.H99"


def test_wrong_secret_is_refused(hub: tuple[FakeHub, Server]) -> None:
    with pytest.raises(LgspApiError) as err:
        LgspClient(hub[1].url, KEY, "wrong").whoami()
    assert (err.value.status, err.value.code) == (401, "signature_invalid")


def test_query_is_sent_sorted(hub: tuple[FakeHub, Server]) -> None:
    fake, server = hub
    client_for(server.url).inbox(limit=5, cursor="a/b=")
    assert server.received[-1].path == "/v1/inbox?cursor=a%2Fb%3D&limit=5"


def test_error_body_becomes_lgsp_api_error(hub: tuple[FakeHub, Server]) -> None:
    with pytest.raises(LgspApiError) as err:
        client_for(hub[1].url).message_status("nope")
    assert (err.value.status, err.value.code, err.value.message) == \
        (404, "message_not_found", "refused")


def test_gateway_errors_are_retried_with_backoff_then_reported() -> None:
    naps: list[float] = []
    with serve(lambda r: Reply(503, b"<html>Service Unavailable</html>")) as server, \
            pytest.raises(LgspApiError) as err:
        client_for(server.url, naps, attempts=3).whoami()
    assert len(server.received) == 3 and len(naps) == 2
    assert (err.value.status, err.value.code) == (503, "http_503")
    assert "Service Unavailable" in err.value.message


def test_signature_is_fresh_on_every_attempt() -> None:
    with serve(lambda r: Reply(502)) as server, pytest.raises(LgspApiError):
        client_for(server.url, attempts=3).fetch("M1")
    nonces = {r.headers["Signature-Input"] for r in server.received}
    assert len(server.received) == 3 and len(nonces) == 3


def test_create_is_retried_only_with_an_idempotency_key() -> None:
    with serve(lambda r: Reply(504)) as server:
        client = client_for(server.url, attempts=3)
        with pytest.raises(LgspApiError):
            client.create_message({"title": "x"})
        assert len(server.received) == 1
        with pytest.raises(LgspApiError):
            client.create_message({"title": "x"}, idempotency_key="k-1")
        assert len(server.received) == 4
        assert server.received[-1].headers["Idempotency-Key"] == "k-1"


def test_client_errors_are_not_retried() -> None:
    def handle(r: Received) -> Reply:
        return Reply(409, b'{"error": {"code": "conflict", "message": "retry later"}}')

    with serve(handle) as server, pytest.raises(LgspApiError, match="retry later"):
        client_for(server.url).confirm("M1", "0" * 64)
    assert len(server.received) == 1


def test_clock_skew_resynchronises_once(hub: tuple[FakeHub, Server]) -> None:
    fake, server = hub
    fake.clock_offset = 3600
    client = client_for(server.url)
    assert client.whoami()["unit"] == "000.00.31.H99"
    assert [r.path for r in server.received] == ["/v1/whoami", "/v1/time", "/v1/whoami"]
    assert client.auth is not None and abs(client.auth.clock_offset - 3600) <= 2
    client.whoami()
    assert len(server.received) == 4


def test_unreachable_hub_is_a_connection_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    naps: list[float] = []
    with pytest.raises(LgspApiError) as err:
        client_for(f"http://127.0.0.1:{port}", naps, attempts=2).whoami()
    assert (err.value.status, err.value.code) == (0, "connection_failed")
    assert len(naps) == 1


def test_signed_call_without_keys_is_refused_locally() -> None:
    with pytest.raises(LgspApiError, match="access key"):
        LgspClient("http://127.0.0.1:9").whoami()


def test_the_status_of_a_broadcast_follows_every_page() -> None:
    """A message to thousands of destinations answers its deliveries and trace a page at
    a time; `lgsp status` shows them all."""
    pages = {
        "/v1/messages/m1": {"message": {"id": "m1"}, "deliveries": [{"unit": "a"}],
                            "deliveries_next_cursor": "d1", "trace": [{"event": "requested"}],
                            "trace_next_cursor": "t1"},
        "/v1/messages/m1/deliveries?cursor=d1&limit=200": {"items": [{"unit": "b"}],
                                                           "next_cursor": "d2"},
        "/v1/messages/m1/deliveries?cursor=d2&limit=200": {"items": [{"unit": "c"}],
                                                           "next_cursor": None},
        "/v1/messages/m1/trace?cursor=t1&limit=200": {"items": [{"event": "verified"}],
                                                      "next_cursor": None},
    }

    def answer(r: Received) -> Reply:
        return Reply(200, json.dumps(pages[r.path]).encode(),
                     {"Content-Type": "application/json"})

    with serve(answer) as server:
        first = client_for(server.url).message_status("m1")
        assert first["deliveries_next_cursor"] == "d1"
        every = client_for(server.url).message_status("m1", every_page=True)
    assert [d["unit"] for d in every["deliveries"]] == ["a", "b", "c"]
    assert [t["event"] for t in every["trace"]] == ["requested", "verified"]
    assert "deliveries_next_cursor" not in every and "trace_next_cursor" not in every
