"""Wire shapes of peer hubs and routes (`domain/federation.py` for the rules,
docs/federation.md). A peer's key is given as a public JWK (`public_jwk`) or a JWKS URL
(`jwks_url`), exactly one of them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .model import Model
from .schemas import SLUG, Strict

PeerState = Literal["active", "disabled"]
RouteKind = Literal["code", "level1", "letter", "default"]
Outcome = Literal["local", "routed", "peer_disabled", "no_route"]
OUR_KEY = r"^[A-Za-z0-9-]{1,80}$"


ContentPath = Literal["direct", "copy"]
CONTENT_DOC = ("How our destinations get the content of a message this peer hands over: "
               "`direct` from the peer's own store, through the presigned GET it hands over "
               "(the bytes move once); `copy` streamed into our store first, for a peer "
               "whose store our units cannot reach (docs/federation.md).")


class PeerRequest(Strict):
    """A peer hub to register (operators)."""

    id: str = Field(pattern=SLUG, description="A short slug naming the peer (`ndxp`, "
                                              "`hanoi`): its id in paths and routes.")
    name: str = Field(min_length=1, max_length=200)
    base_url: str = Field(min_length=1, max_length=500, description="https:// (http:// only "
                          "where LGSP_FEDERATION_ALLOW_HTTP allows it).")
    public_jwk: dict[str, Any] | None = Field(
        default=None, description="The public key the peer signs with: Ed25519 (kty OKP), "
                                  "ECDSA P-256 (kty EC) or RSA of 2048 bits or more (kty "
                                  "RSA). Never a private key.")
    jwks_url: str | None = Field(default=None, min_length=1, max_length=500,
                                 description="Or where the peer publishes its keys (https).")
    our_key: str = Field(default="current", pattern=OUR_KEY, description="Which of the "
                         "hub's published keys we sign with toward this peer: `current` "
                         "(follows rotation) or a key id (pinned).")
    content: ContentPath = Field(default="direct", description=CONTENT_DOC)
    state: PeerState = "active"


class PeerChange(Strict):
    """What an operator changes on a peer; fields left out stay. A new `public_jwk`
    replaces a `jwks_url` and the other way round."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    base_url: str | None = Field(default=None, min_length=1, max_length=500)
    public_jwk: dict[str, Any] | None = None
    jwks_url: str | None = Field(default=None, min_length=1, max_length=500)
    our_key: str | None = Field(default=None, pattern=OUR_KEY)
    state: PeerState | None = None
    content: ContentPath | None = Field(default=None, description=CONTENT_DOC)


class PeerView(Model):
    id: str
    name: str
    base_url: str
    public_jwk: dict[str, str] | None = None
    jwks_url: str | None = None
    our_key: str = Field(description="`current` or the pinned key id.")
    our_kid: str | None = Field(description="The key id we sign with toward it now (null: "
                                            "the pinned key is no longer published).")
    state: PeerState
    content: ContentPath = Field(default="direct", description=CONTENT_DOC)
    routes: int = Field(description="How many routes point to it.")
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str


class PeerPage(Model):
    items: list[PeerView]
    next_cursor: str | None = None


class RouteRequest(Strict):
    pattern: str = Field(min_length=1, max_length=32, description="`000.00.04.G14` (a "
                         "code), `H31` (a level-1 part), `G` (a letter class) or `*`.")
    peer: str = Field(pattern=SLUG)


class RouteView(Model):
    id: str = Field(description="Its pattern (`default` for `*`): the id in DELETE paths.")
    pattern: str
    kind: RouteKind
    peer: str
    created_at: str
    created_by: str


class RoutePage(Model):
    """Routes in the table's order of their patterns."""

    items: list[RouteView]
    next_cursor: str | None = None


class ResolutionView(Model):
    code: str
    local: bool = Field(description="A unit of our own registry.")
    outcome: Outcome
    peer: PeerView | None = Field(description="The peer the code goes to (null unless "
                                              "routed).")
    route: RouteView | None = Field(description="The route that decided (also when its "
                                                "peer is disabled).")


class Removed(Model):
    """A peer or route removed."""

    id: str
    removed: bool = True
