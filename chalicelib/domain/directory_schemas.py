"""Wire shapes of the directory and of named groups (R-PROP-7).

Directory answers repeat the fields of the `UNITS` entry so a client can show and address
a unit without a second call; a search result also says which part of which field matched,
as offsets in the original (accented) text, so a client can highlight it as typed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .model import Model
from .schemas import SLUG, Strict

MAX_GROUP_MEMBERS = 2000
FieldName = Literal["name", "short_name", "code", "account"]


class UnitNames(Model):
    """A unit's code, names and place in the tree, whichever hub holds it."""

    code: str
    name: str
    short_name: str
    level: int = Field(ge=1, le=4)
    parent: str | None = None


class DirectoryEntry(UnitNames):
    status: str = Field(description="active, suspended or dissolved")
    account: str = Field(description="<code>@<province domain>")
    successors: list[str] = Field(default_factory=list,
                                  description="Units that took over a dissolved unit")


class DirectoryUnit(DirectoryEntry):
    """One unit by code: ours, or a peer hub's where a route sends the code (issue 15)."""

    remote: bool = Field(default=False, description="A unit of a peer hub, not ours")
    hub: str | None = Field(default=None, description="Remote: our id of its peer hub")
    stale: bool = Field(default=False, description="Remote: a copy older than an hour, "
                        "served because its hub did not answer")
    fetched_at: str | None = Field(default=None, description="Remote: when its hub last "
                                   "answered it")


class MatchedPart(Model):
    field: FieldName
    text: str = Field(description="The field's original text")
    spans: list[tuple[int, int]] = Field(
        description="[start, end) character offsets of the matched parts in `text`")


class SearchResult(DirectoryEntry):
    match: MatchedPart | None = Field(default=None,
                                      description="Absent when listing without `q`")


class SearchPage(Model):
    query: str | None = None
    version: int = Field(description="Directory version the answer was computed from")
    items: list[SearchResult]
    more: bool = Field(description="More units match than `limit`")
    next_cursor: str | None = Field(default=None,
                                    description="Listing without `q` only: the next page")


class SubtreePage(Model):
    root: str
    items: list[DirectoryEntry] = Field(description="The root first, then every descendant "
                                                    "right after its parent")
    more: bool
    next_cursor: str | None = None


class GroupRule(Strict):
    parent: str = Field(description="Subtree root: units below it (a unit code; a bad one "
                                    "is 400 invalid_unit_code naming the part)")
    level: int | None = Field(default=None, ge=1, le=4,
                              description="Only units of exactly this level")


class GroupRequest(Strict):
    id: str = Field(pattern=SLUG, description="Slug; address it as `group:<id>`")
    name: str = Field(min_length=1, max_length=200)
    members: list[str] = Field(default_factory=list, max_length=MAX_GROUP_MEMBERS)
    rule: GroupRule | None = None

    @model_validator(mode="after")
    def _has_members(self) -> GroupRequest:
        if not self.members and self.rule is None:
            raise ValueError("a group needs members, a rule, or both")
        return self


class GroupView(Model):
    id: str
    name: str
    members: list[str] = Field(description="The static members as given")
    rule: GroupRule | None = None
    created_by: str | None = None
    created_at: str
    active_members: list[str] | None = Field(
        default=None, description="Single-group answers: the active members now (what a "
                                  "send to `group:<id>` reaches)")


class GroupList(Model):
    items: list[GroupView]
    next_cursor: str | None = None


class GroupDeleted(Model):
    id: str
    deleted: bool = True
