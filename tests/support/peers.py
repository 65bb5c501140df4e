"""Peer hubs in one test process (issue 15): each hub is a `Deps` of its own (its own
table), reached by its base URL through one fake transport that answers the way a hub
does: `/.well-known/jwks.json` from its published keys, `/v1/federation/...` through the
real verification (`peer_auth.authenticate_peer`) and the real use cases
(`peer_link`). The routes themselves (chalice) are driven by the test client; real HTTP
between real hosts is tests/e2e/test_federation_peers_e2e.py."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field, replace
from typing import Any

from http_message_signatures import HTTPMessageSigner
from http_message_signatures.resolvers import MappingKeyResolver

from chalicelib import bootstrap
from chalicelib.adapters.table_dynamo import DynamoTable, create_table
from chalicelib.domain import peer_signatures
from chalicelib.domain.errors import LgspError
from chalicelib.domain.federation_schemas import PeerRequest, RouteRequest
from chalicelib.domain.ports import HttpAnswer, Item
from chalicelib.domain.signatures import Caller, SignedRequest
from chalicelib.services import hub_signing, peer_link, peer_routes, peers, registry
from chalicelib.services.deps import Deps
from chalicelib.services.peer_auth import JWKS, authenticate_peer
from tests.support.fakes import FakeClock
from tests.support.hub import SignedClient, World, make_deps
from tests.support.signing import Message

UNITS_PATH = "/v1/federation/units/"


@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


@dataclass
class FakeHubs:
    """The transport every hub of the test uses (`Deps.peer_http`)."""

    hubs: dict[str, Deps] = field(default_factory=dict)  # base URL -> that hub
    sent: list[Sent] = field(default_factory=list)
    down: set[str] = field(default_factory=set)  # base URLs that do not answer
    answers: dict[str, HttpAnswer] = field(default_factory=dict)  # URL -> a set answer

    def sent_to(self, prefix: str) -> list[Sent]:
        return [s for s in self.sent if s.url.startswith(prefix)]

    def send(self, method: str, url: str, *, headers: Any, body: bytes | None,
             connect_timeout: float, read_timeout: float, max_answer: int) -> HttpAnswer:
        self.sent.append(Sent(method, url, dict(headers), body))
        if url in self.answers:
            return self.answers[url]
        base = next((b for b in self.hubs if url.startswith(b + "/")), None)
        if base is None or base in self.down:
            raise OSError("ConnectionRefusedError: [Errno 111] Connection refused")
        deps, path = self.hubs[base], url[len(base):]
        if path == "/.well-known/jwks.json":
            return _json(200, {"keys": hub_signing.jwks(deps)})
        try:
            caller = authenticate_peer(deps, SignedRequest(method, url, dict(headers),
                                                           body or b""))
            if path == peer_link.PING:
                answer = peer_link.ping(deps, caller, base).model_dump()
            elif path.startswith(UNITS_PATH):
                code = path[len(UNITS_PATH):]
                answer = peer_link.unit(deps, caller, code, base).model_dump()
            else:
                return _json(404, {"error": {"code": "route_not_found", "message": "?"}})
        except LgspError as err:
            return _json(err.status, {"error": {"code": err.code, "message": err.message}})
        return _json(200, answer)


def _json(status: int, body: dict[str, Any]) -> HttpAnswer:
    return HttpAnswer(status, json.dumps(body).encode(), 3.0)


def signed_as(hub: Deps, method: str, url: str, *, body: bytes = b"",
              hub_url: str | None = None, nonce: str = "n" * 22) -> dict[str, str]:
    """Headers of a call `hub` signs with its current key, as `peer_calls` does (its own
    public URL in `lgsp-hub` unless `hub_url` claims another)."""
    key = hub_signing.current_key(hub)
    headers = {peer_signatures.HUB_HEADER: hub_url or str(hub.settings.public_url),
               **({"content-type": "application/json"} if body else {})}
    return peer_signatures.sign(method, url, headers, body or None, key_id=key.kid,
                                private_pem=key.private_pem, created=hub.clock.now(),
                                nonce=nonce)


A_URL, B_URL = "https://lgsp.a.test", "https://lgsp.b.test"
OPERATOR = "000.00.30.H99"
HUB_A_UNIT, HUB_B_UNIT = "000.00.01.H02", "000.00.01.H31"
OPERATOR_CALLER = Caller(unit=OPERATOR, app="console", key_id="AKTEST", algorithm="hmac-sha256",
                         nonce=None, created=0)


@dataclass
class TwoHubs:
    """Hub A (the World's, driven by the chalice test client, `A_URL`) and hub B (its own
    table, `B_URL`), each registering the other: A knows B as `hub-b` by its JWKS URL, B
    knows A as `hub-a` by A's current key as a static JWK; A routes `H31` to B."""

    world: World
    a: Deps
    b: Deps
    net: FakeHubs
    operator: SignedClient

    def peer_of_b(self, peer_id: str = "hub-b") -> Item:
        return peers.require_peer(self.a, peer_id)


def two_hubs(world: World, clock: FakeClock) -> TwoHubs:
    """Build the pair (the World's settings need `public_url=A_URL` and
    `operator_units=OPERATOR`)."""
    import boto3

    net = FakeHubs()
    a = replace(world.deps, peer_http=net)
    bootstrap.install(a)
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    create_table(ddb, "lgsp-b")
    b = replace(make_deps(DynamoTable(ddb, "lgsp-b"), world.deps.objects, clock,
                          public_url=B_URL, operator_units=OPERATOR), peer_http=net)
    net.hubs.update({A_URL: a, B_URL: b})
    JWKS.clear()
    registry.create_unit(a, OPERATOR, "Sở Thông tin và Truyền thông")
    registry.create_unit(a, HUB_A_UNIT, "Sở Tài chính tỉnh A")
    registry.create_unit(b, HUB_B_UNIT, "Sở Tài chính tỉnh B")
    operator = world.as_(registry.create_app(a, OPERATOR, "console"))
    peers.create(a, OPERATOR_CALLER, PeerRequest(
        id="hub-b", name="LGSP B", base_url=B_URL, jwks_url=f"{B_URL}/.well-known/jwks.json"))
    peer_routes.add(a, OPERATOR_CALLER, RouteRequest(pattern="H31", peer="hub-b"))
    peers.create(b, OPERATOR_CALLER, PeerRequest(
        id="hub-a", name="LGSP A", base_url=A_URL, public_jwk=hub_signing.jwks(a)[0]))
    peer_routes.add(b, OPERATOR_CALLER, RouteRequest(pattern="H02", peer="hub-a"))
    return TwoHubs(world, a, b, net, operator)


def signed_by_key(key: Any, algorithm: Any, kid: str, method: str, url: str, *,
                  hub_url: str, body: bytes = b"{}", created: int, nonce: str | None = None,
                  components: tuple[str, ...] | None = None) -> dict[str, str]:
    """Headers of a hub-to-hub call signed by another implementation than ours (the
    RFC 9421 library directly), with any key and algorithm: a peer that is no LGSP, or
    a forger."""
    msg = Message(method, url, {peer_signatures.HUB_HEADER: hub_url,
                                **({"content-type": "application/json"} if body else {})})
    HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=MappingKeyResolver(
        public_keys={}, private_keys={kid: key})).sign(
        msg, key_id=kid, label=peer_signatures.LABEL, nonce=nonce,
        covered_component_ids=components or peer_signatures.covered(body=bool(body)),
        created=datetime.datetime.fromtimestamp(created, datetime.UTC), body=body or None)
    return msg.headers
