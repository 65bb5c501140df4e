"""Table keys of remote units, the cached copies of peer hubs' units (docs/federation.md,
"Remote units"; docs/data-model.md), part of `chalicelib.domain.keys`: import them from
there (`keys.remote_unit(...)`), like every other key."""

from __future__ import annotations

META = "META"


def remote_unit(code: str) -> tuple[str, str]:
    """The copy of a unit of a peer hub, as that peer last answered it (with a `ttl`)."""
    return f"REMOTEUNIT#{code}", META
