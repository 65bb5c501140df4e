"""Wire shapes of status replies (edXML status codes; `domain/status_replies.py` for the
rules, docs/edxml.md "Status replies")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .model import Model
from .schemas import Strict

CODES = ("01 arrived, 02 rejected, 03 accepted, 04 assigned, 05 in progress, 06 completed "
         "(a destination); 13 recall requested (the source); 15 recall/update accepted, "
         "16 recall/update refused (a destination, answering a recall or update)")


class StatusReplyRequest(Strict):
    """A unit's answer to a message with a status code of the national document axis."""

    code: str = Field(max_length=64, description=f"The status code: {CODES}. "
                      "Another value is 400 `invalid_status_code`, naming the codes.")
    comment: str | None = Field(default=None, max_length=1000, description="What the unit "
                                "adds for the other side (the edXML `Description`).")


class HopView(Model):
    hub: str = Field(description="A hub the reply came through (a peer hub's id)")
    at: str = Field(description="When that hub passed it on")


class StatusReplyView(Model):
    id: str
    message_id: str
    unit: str = Field(description="The answering unit (a remote unit's code when relayed)")
    role: Literal["source", "destination"] = Field(
        description="Whether the unit answered as the message's destination or its source")
    code: str
    meaning: str = Field(description="What the code means, e.g. `accepted (tiếp nhận)`")
    comment: str | None = None
    at: str = Field(description="When the unit answered")
    recorded_at: str = Field(description="When this hub recorded it")
    hops: list[HopView] = Field(default_factory=list, description="The hubs a reply relayed "
                                "from another hub came through, in order (empty: local)")


class StatusReplyPage(Model):
    items: list[StatusReplyView] = Field(description="The source: every reply, oldest "
                                         "first, a page at a time; a destination: its own "
                                         "and the source's, all of them")
    next_cursor: str | None = None
