"""Wire shapes of the calls between hubs (docs/federation.md, "Between hubs"): what a peer
hub is answered on `/v1/federation/...`, and what an operator's check of a link shows."""

from __future__ import annotations

from pydantic import Field

from .directory_schemas import UnitNames
from .model import Model


class PingAnswer(Model):
    hub: str = Field(description="The answering hub's public base URL.")
    peer: str = Field(description="The id the answering hub knows the caller by.")
    at: str = Field(description="The answering hub's time (ISO 8601, UTC).")


class PeerUnit(UnitNames):
    """One unit of the answering hub's registry, in any state."""

    state: str = Field(description="active, suspended or dissolved")
    account: str = Field(description="<code>@<the answering hub's province domain>")
    successors: list[str] = Field(default_factory=list,
                                  description="Units that took over a dissolved unit")
    hub: str = Field(description="The answering hub's public base URL.")


class CheckFailure(Model):
    code: str = Field(description="The peer's error code, or ours (`peer_unreachable`, "
                                  "`hub_url_unset`, `hub_key_unpublished`, `bad_answer`).")
    message: str


class PeerCheck(Model):
    """What a signed ping to a peer hub came back with (`ok`: it answered 200 and named
    us), or why it failed."""

    peer: str = Field(description="Our id of the peer.")
    ok: bool
    status: int | None = Field(description="The peer's HTTP status (null: no answer).")
    latency_ms: float | None = Field(description="From the request sent to the answer "
                                                 "read (null: no answer).")
    known_as: str | None = Field(description="The id the peer knows this hub by.")
    hub: str | None = Field(description="The peer's public base URL as it states it.")
    error: CheckFailure | None = None
