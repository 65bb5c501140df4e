"""The single-machine host answers every method and path in the project's shape, over a
real socket: a method outside API Gateway's set (TRACE, CONNECT, QUERY, anything) and an
unknown path, which never reach a route of the app (docs/api.md, docs/architecture.md
"Errors")."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests

from infra.local.host import make_server
from infra.local.processes import free_port
from infra.local.ws_sigv4 import ManagementAuth

pytestmark = pytest.mark.e2e

AUTH = ManagementAuth("LGSPWSTEST0001", "test-management-secret", region="ap-southeast-1")


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    """The hub's own app (`app.py`) behind the host's HTTP server; none of these answers
    needs a backend."""
    port = free_port()
    server = make_server(port, ws_auth=AUTH)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "QUERY", "PROPFIND"])
def test_a_method_outside_the_api_is_405_with_the_paths_methods(base: str,
                                                                method: str) -> None:
    # Found by the API fuzz test: schemathesis sends TRACE and QUERY to every path, and the
    # host answered http.server's own 501 HTML page.
    res = requests.request(method, f"{base}/v1/keys/AKSOMEKEY?x=1", data=b'{"a": 1}',
                           timeout=10)
    assert res.status_code == 405, res.text
    assert res.json()["error"]["code"] == "method_not_allowed"
    assert res.headers["Allow"] == "DELETE"
    assert res.headers["Content-Type"] == "application/json"


def test_a_method_outside_the_api_on_an_unknown_path_is_404(base: str) -> None:
    res = requests.request("TRACE", f"{base}/v1/no-such-thing", timeout=10)
    assert res.status_code == 404
    assert res.json()["error"]["code"] == "route_not_found"


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "HEAD"])
def test_an_unknown_path_is_404_route_not_found(base: str, method: str) -> None:
    # docs/architecture.md said the host mapped unknown paths; it answered chalice's 403
    # {"message": "Missing Authentication Token"}.
    res = requests.request(method, f"{base}/v1/no/such/route", timeout=10)
    assert res.status_code == 404
    if method != "HEAD":
        assert res.json()["error"] == {
            "code": "route_not_found",
            "message": "No such route: the routes of the API are in its openapi.json."}


def test_the_connection_stays_usable_after_a_refused_method(base: str) -> None:
    """The host does not read the body of a refused request; it closes that connection,
    so the next request is never parsed from a stray body, and the client's next call
    is answered (on a new connection)."""
    with requests.Session() as s:
        assert s.request("TRACE", f"{base}/v1/inbox", data=b"x" * 1000,
                         timeout=10).status_code == 405
        second = s.get(f"{base}/v1/nothing-here", timeout=10)
        assert second.status_code == 404 and second.json()["error"]["code"] == "route_not_found"
