"""Wire shapes of maintenance notices (R-OPS-4, `domain/notices.py` for the rules).

Times are ISO-8601 on the wire like everywhere in the API: a request gives them with an
explicit offset (`2026-12-01T22:00:00+07:00` or `...Z`), answers give them in UTC.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .model import Model
from .notices import MAX_BODY, MAX_TITLE
from .schemas import Strict

Severity = Literal["info", "maintenance", "outage"]
Service = Literal["exchange", "realtime", "directory", "registry", "sso", "sessions",
                  "reports", "console", "all"]
NoticeState = Literal["upcoming", "active", "ended", "cancelled"]
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _iso_text(value: object) -> object:
    """Only an ISO-8601 text (pydantic would also read a number in a string as epoch
    seconds), read here: a strict model takes no text for a datetime once parsed JSON."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO.match(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("iso_datetime", "Input should be an ISO-8601 date and time "
                              "with its offset, e.g. 2026-12-01T22:00:00+07:00")


def _everything() -> list[Service]:
    return ["all"]


WireTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


class NoticeRequest(Strict):
    """A notice to publish (operators)."""

    title: str = Field(min_length=1, max_length=MAX_TITLE, description="One line.")
    body: str = Field(min_length=1, max_length=MAX_BODY,
                      description="Plain text (never HTML); line breaks allowed.")
    severity: Severity
    services: list[Service] = Field(
        default_factory=_everything, min_length=1, max_length=9,
        description="The services affected (default: all); `all` stands alone.")
    starts_at: WireTime | None = Field(
        default=None, description="When it starts, with its offset (default: now); at "
                                  "most an hour ago, at most a year ahead.")
    ends_at: WireTime = Field(description="When it ends: after starts_at, within 30 days "
                                          "of it.")


class NoticeView(Model):
    id: str
    title: str
    body: str
    severity: Severity
    services: list[Service]
    starts_at: str
    ends_at: str
    state: NoticeState = Field(description="At the time of the answer.")
    created_by: str = Field(description="The operator's person account or app.")
    created_by_unit: str
    created_at: str
    cancelled_at: str | None = None
    cancelled_by: str | None = None


class CurrentNotices(Model):
    """Active notices, then those starting within 7 days (active first, then by start)."""

    items: list[NoticeView]
    server_time: str


class NoticePage(Model):
    """Every notice, newest first."""

    items: list[NoticeView]
    next_cursor: str | None = None
