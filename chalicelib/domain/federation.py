"""Peer hubs and routes (issue 15, R-PROP-10): which hub a unit code belongs to. Pure
rules, no I/O: the services read the registry, the routes and the peers, and ask here.

A **route** maps a pattern over QCVN 102 codes (`NNN.NN.NN.XNN`, `domain/identifiers.py`)
to a peer hub. Four kinds, from the most specific:

| kind | pattern | matches |
|---|---|---|
| `code` | `000.00.04.G14` | that one code |
| `level1` | `H31` | every code whose level-1 part is `H31` (another province) |
| `letter` | `G` | every code whose level-1 part starts with `G` (the ministries) |
| `default` | `*` | every code (the national platform) |

A pattern is its own identity: two routes with the same pattern are a conflict, and a
route's id is its pattern (the default route's id is `default`, so it fits in a path).

**Resolution** of a code (`resolve`): a unit in our own registry is local, always (a
route never takes a unit of ours away); otherwise the most specific route that matches,
code > level-1 part > letter class > default; no route at all is `no_route`.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from . import identifiers
from .errors import InvalidRequestError

CODE, LEVEL1, LETTER, DEFAULT = "code", "level1", "letter", "default"
KINDS = (CODE, LEVEL1, LETTER, DEFAULT)  # most specific first
DEFAULT_PATTERN, DEFAULT_ID = "*", "default"
ACTIVE, DISABLED = "active", "disabled"
STATES = (ACTIVE, DISABLED)
LOCAL, ROUTED, PEER_DISABLED, NO_ROUTE = "local", "routed", "peer_disabled", "no_route"

MAX_URL = 500
_LEVEL1 = re.compile(r"^[A-Z][0-9]{2}$")
_LETTER = re.compile(r"^[A-Z]$")


@dataclass(frozen=True)
class Pattern:
    kind: str
    text: str  # canonical: `000.00.04.G14`, `H31`, `G`, `*`

    @property
    def route_id(self) -> str:
        """What names the route in a path: its pattern (`default` for `*`)."""
        return DEFAULT_ID if self.kind == DEFAULT else self.text


def _refuse(pattern: str, why: str) -> InvalidRequestError:
    shown = pattern[:40] + ("…" if len(pattern) > 40 else "")
    return InvalidRequestError(f"pattern: '{shown}' is not a route pattern: {why} A pattern "
                               "is a unit code (000.00.04.G14), a level-1 part (H31), a "
                               "letter class (G) or * (the default route).",
                               code="invalid_route_pattern", field="pattern")


def parse_pattern(pattern: str) -> Pattern:
    """A route pattern in its canonical form, or 400 `invalid_route_pattern` saying why
    (an exact code is checked by `identifiers.parse`: 400 `invalid_unit_code`).

    A letter class is one capital letter, the first character of a level-1 part: the
    same letters `identifiers.parse` accepts (G central bodies, H provinces, ...), so a
    code the registry takes can always be routed."""
    if pattern in (DEFAULT_PATTERN, DEFAULT_ID):
        return Pattern(DEFAULT, DEFAULT_PATTERN)
    if "." in pattern:
        identifiers.parse(pattern, field="pattern")
        return Pattern(CODE, pattern)
    if _LEVEL1.match(pattern):
        return Pattern(LEVEL1, pattern)
    if _LETTER.match(pattern):
        return Pattern(LETTER, pattern)
    if len(pattern) == 1:
        raise _refuse(pattern, f"the letter class '{pattern}' is unknown: a letter class "
                               "is one capital letter A-Z.")
    raise _refuse(pattern, "it is none of the four kinds.")


def candidates(code: str) -> list[Pattern]:
    """The patterns that can match `code`, most specific first: the order resolution
    reads the routes in (one get each, never a scan). `code` must be valid."""
    level1 = identifiers.parse(code).code.rsplit(".", 1)[1]
    return [Pattern(CODE, code), Pattern(LEVEL1, level1), Pattern(LETTER, level1[0]),
            Pattern(DEFAULT, DEFAULT_PATTERN)]


@dataclass(frozen=True)
class Resolution:
    """Where a code goes: `outcome` is `local`, `routed`, `peer_disabled` or `no_route`;
    `route` is the pattern that decided it (None for local and no route); `peer` the
    peer a routed code goes to."""

    code: str
    outcome: str
    route: str | None = None
    peer: str | None = None

    @property
    def local(self) -> bool:
        return self.outcome == LOCAL


def resolve(code: str, *, registered: bool, routes: dict[str, str],
            peer_states: dict[str, str]) -> Resolution:
    """Resolve `code`. `registered`: the unit is in our registry; `routes`: the routes
    among `candidates(code)` that exist, pattern -> peer id; `peer_states`: the state of
    each peer they name.

    The most specific matching route decides, even when its peer is disabled: then the
    code has no route (`peer_disabled`), it does not fall through to a less specific one.
    An operator who routes `H31` to a province's hub says those documents belong there;
    while that hub is disabled (suspected compromise, a key being replaced, an outage
    the province asked us to wait out), sending them to the default route would hand a
    province's documents to a third hub that has no business holding them. Holding them
    is safe; delivering them elsewhere cannot be undone. An operator who does want the
    fall-through removes the route."""
    if registered:
        return Resolution(code, LOCAL)
    for pattern in candidates(code):
        peer = routes.get(pattern.text)
        if peer is None:
            continue
        if peer_states.get(peer) != ACTIVE:
            return Resolution(code, PEER_DISABLED, route=pattern.text, peer=peer)
        return Resolution(code, ROUTED, route=pattern.text, peer=peer)
    return Resolution(code, NO_ROUTE)


def check_base_url(url: str, *, field: str, allow_http: bool) -> str:
    """A peer's base URL or JWKS URL: https (http only where the setting allows it, a lab
    or an on-prem test network), a host, no user or password, no query or fragment.
    Returned without a trailing slash. 400 `invalid_peer_url` naming the field."""
    def refuse(why: str) -> InvalidRequestError:
        return InvalidRequestError(f"{field}: {why}", code="invalid_peer_url", field=field)

    if len(url) > MAX_URL:
        raise refuse(f"at most {MAX_URL} characters.")
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise refuse("not a URL.") from exc
    allowed = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in allowed:
        raise refuse("must be an https:// URL" + (
            " (or http://, allowed by LGSP_FEDERATION_ALLOW_HTTP)." if allow_http else
            "; http:// only where LGSP_FEDERATION_ALLOW_HTTP allows it (a test network)."))
    if not parts.hostname or any(c.isspace() for c in url):
        raise refuse("needs a host name and no spaces.")
    if parts.username is not None or parts.password is not None:
        raise refuse("must not hold a user name or password.")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise refuse("must not have a query or fragment.")
    return url.rstrip("/")
