"""Table keys of peer hubs and routes (docs/federation.md, docs/data-model.md F1-F5),
part of `chalicelib.domain.keys`: import them from there (`keys.peer(...)`), like every
other key.

Two partitions, each listed by one query, never a scan:
- `PEERS`: every peer hub, `sk` = its id (a slug);
- `ROUTES`: every route, `sk` = its pattern (`000.00.04.G14`, `H31`, `G`, `*`), so two
  routes with one pattern cannot both exist (a conditional put), and resolving a code
  reads at most four routes by key (`domain/federation.candidates`).
"""

from __future__ import annotations

PEERS = "PEERS"
ROUTES = "ROUTES"


def peer(peer_id: str) -> tuple[str, str]:
    return PEERS, peer_id


def route(pattern: str) -> tuple[str, str]:
    return ROUTES, pattern
