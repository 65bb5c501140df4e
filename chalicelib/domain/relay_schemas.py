"""What hubs send each other in the relay (docs/federation.md, "The relay"): the wire
models of the peer-facing routes. Only peer hubs call them, each call signed with the
calling hub's key (services/peer_auth.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .model import Model
from .schemas import HEX64, SLUG, UNIT_CODE, Strict, WirePriority


class Hop(Strict):
    hub: str = Field(max_length=500, description="A hub's public base URL")
    at: int = Field(ge=0, description="When (Unix seconds)")
    event: str = Field(default="relayed", max_length=32)


class ContentLocation(Strict):
    method: Literal["GET"] = "GET"
    url: str = Field(min_length=8, max_length=8192,
                     description="A presigned GET of the origin's store")
    headers: dict[str, str] = Field(default_factory=dict)
    expires_at: int = Field(ge=0)


class RelayedMessage(Strict):
    """A message handed over by the origin hub for units of the receiving hub."""

    origin_id: str = Field(pattern=r"^[0-9a-f]{1,64}$")
    source: str = Field(pattern=UNIT_CODE, description="The source unit at the origin")
    to: list[str] = Field(min_length=1, max_length=1000,
                          description="Units of the receiving hub")
    title: str = Field(min_length=1, max_length=500)
    priority: WirePriority
    data_type: str = Field(pattern=SLUG)
    protocol: str = Field(pattern=SLUG)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=HEX64)
    content_type: str = Field(max_length=255)
    file_name: str = Field(max_length=255)
    created_at: int = Field(ge=0)
    confirm_by: int = Field(ge=0)
    deliver_at: int | None = None
    edxml: dict[str, Any] | None = None
    content: ContentLocation
    hops: list[Hop] = Field(default_factory=list, max_length=20)


class RelayAccepted(Model):
    id: str = Field(description="The message's id at the receiving hub")
    state: str


class OutcomeReport(Strict):
    """What happened at a destination of the reporting hub, for the origin's source."""

    unit: str = Field(pattern=UNIT_CODE)
    event: Literal["fetched", "confirmed", "rejected", "expired", "status"]
    at: int = Field(ge=0)
    reason: str | None = Field(default=None, max_length=500)
    code: str | None = Field(default=None, pattern=r"^[0-9]{2}$",
                             description="A status reply's code (event `status`)")
    comment: str | None = Field(default=None, max_length=2000)
    hops: list[Hop] = Field(default_factory=list, max_length=20)


class ReportRecorded(Model):
    recorded: bool = Field(description="False: already recorded, or the delivery had "
                                       "ended (a repeated report changes nothing)")


class ContentGrant(Model):
    method: str
    url: str
    headers: dict[str, str]
    expires_at: int
