"""Joining and leaving requests (R-OPS-1..3, R-JOIN-2..4): states, keys and wire shapes.

A request is `draft` while fields are missing, `submitted` once complete (the answer clock
of R-OPS-2 starts), then `approved` or `refused` by an operator, or `withdrawn` by its
unit. Three items per request, written together in every change:

- the request: `REQ#{id}` / `META`, one GetItem by id; every change is conditional on its
  `version` and state;
- the unit's list: `JOINREQ#{unit}` / `{id}`, a unit admin's requests, newest first (ids
  sort by time);
- the operators' list: `JOINREQS` / `{group}#{time}#{id}`, one query for "open by due
  time (overdue first), then drafts, then answered, newest first".

The operators' entry moves (delete + put) when the state changes; it is a copy of the
summary, never the fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from . import keys
from .access_key_schemas import AppCredentials
from .join_forms import KINDS, Kind
from .join_states import (  # noqa: F401 (the states, named here too)
    ANSWERED,
    APPROVED,
    CLOSED,
    DOCX_CONTENT_TYPE,
    DRAFT,
    GROUPS,
    LIST_FILTERS,
    OPEN,
    REFUSED,
    SUBMITTED,
    WITHDRAWN,
)
from .model import Model
from .people_schemas import SetupLink
from .ports import Item
from .schemas import Strict
from .times import iso

State = Literal["draft", "submitted", "approved", "refused", "withdrawn"]
REQUEST_ID = r"^[0-9a-f]{16,40}$"
SUMMARY_FIELDS = ("id", "request_kind", "unit", "state", "title", "created_at", "completed_at",
                  "due_date", "due_at", "answered_at")
_FAR = 10 ** 12 - 1


def index_key(item: Item) -> tuple[str, str]:
    """Open requests by due time, then drafts by age, then the answered newest first."""
    state = item["state"]
    if state == SUBMITTED:
        at = int(item["due_at"])
    elif state == DRAFT:
        at = int(item["created_at"])
    else:
        at = _FAR - int(item.get("answered_at") or item["created_at"])
    return keys.join_request_index(GROUPS[state], at, item["id"])


def summary_item(item: Item, pk: str, sk: str) -> Item:
    """A list's copy of a request: the summary, never the fields."""
    return {"pk": pk, "sk": sk, "kind": "join_request_entry",
            **{f: item.get(f) for f in SUMMARY_FIELDS}}


def title_of(kind: str, fields: dict[str, Any]) -> str:
    """What a list shows: the system's name, else the admin's, else the form."""
    admin = fields.get("admin") or {}
    return str(fields.get("system_name") or admin.get("name") or fields.get("app_id")
               or f"Mẫu số {KINDS[kind].form}")


# -- wire shapes ------------------------------------------------------------------------


class FileRequestBody(Strict):
    kind: Kind
    unit: str | None = Field(default=None, pattern=r"^[0-9A-Za-z.]{3,32}$",
                             description="Operators only: the unit filed for (default: "
                                         "the caller's unit).")
    fields: dict[str, Any] = Field(default_factory=dict,
                                   description="The form's fields (docs/joining.md); any "
                                               "missing required field keeps a draft.")


class CompleteRequestBody(Strict):
    fields: dict[str, Any] = Field(description="Fields to set (null removes one); the "
                                               "request is complete once none is missing.")


class SupportContact(Strict):
    name: str = Field(min_length=1, max_length=120)
    phone: str | None = Field(default=None, max_length=30)
    mobile: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)


class Representative(Strict):
    name: str = Field(min_length=1, max_length=120)
    position: str | None = Field(default=None, max_length=120)


class AnswerDetails(Strict):
    answer_number: str | None = Field(default=None, max_length=60,
                                      description="Số văn bản trả lời, e.g. 125/STTTT-CNTT")
    signer_name: str | None = Field(default=None, max_length=120)
    signer_title: str | None = Field(default=None, max_length=120,
                                     description="Default GIÁM ĐỐC")


class ApproveBody(AnswerDetails):
    support_contact: SupportContact | None = Field(
        default=None, description="Đầu mối hỗ trợ kỹ thuật named in the answer")
    handover_by: Representative | None = Field(
        default=None, description="Bên giao of the handover minutes (forms 05, 11)")
    note: str | None = Field(default=None, max_length=2000)


class RefuseBody(AnswerDetails):
    reason: str = Field(default="", max_length=2000, description="Required: why.")


class HistoryEntry(Model):
    at: str
    event: str
    app: str | None = None
    unit: str | None = None
    person: str | None = Field(default=None, description="Who, when a person did it "
                               "through their SSO token")
    detail: dict[str, Any] = Field(default_factory=dict)


class RequestSummary(Model):
    id: str
    kind: Kind
    form: str = Field(description="The unit's form in the appendix (01, 03, 06, 08, 09, 12)")
    unit: str
    state: State
    title: str
    created_at: str
    completed_at: str | None = Field(default=None, description="When it became complete")
    due_date: str | None = Field(default=None, description="Answer due by the end of this "
                                                           "province day (YYYY-MM-DD)")
    due_at: str | None = None
    overdue: bool = False
    answered_at: str | None = None


class RequestView(RequestSummary):
    filed_by: str
    fields: dict[str, Any]
    missing: list[str] = Field(default_factory=list)
    answered_by: str | None = None
    reason: str | None = None
    result: dict[str, Any] = Field(default_factory=dict, description="Created app and key "
                                   "id, or the cancelled app and revoked keys; the SSO app "
                                   "and its URLs, the SSO admin's account, or the disabled "
                                   "SSO app; never a secret nor a link")
    answer: dict[str, Any] = Field(default_factory=dict)
    history: list[HistoryEntry] = Field(default_factory=list)


class RequestList(Model):
    items: list[RequestSummary]
    next_cursor: str | None = None


class SsoRegistration(Model):
    """What an app's developers need to use the single sign-on (form 08's approval)."""

    discovery_url: str = Field(description="<issuer>/.well-known/openid-configuration")
    client_id: str
    client_secret: str | None = Field(default=None, description="client_secret_basic only, "
                                      "on registration only: shown in this answer only, "
                                      "never stored in clear nor in the request or letter")
    client_type: str = Field(description="confidential | public")
    token_endpoint_auth_method: str = Field(
        description="client_secret_basic | private_key_jwt | none")
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    backchannel_logout_uri: str | None = None
    changed: bool = Field(default=False, description="true: the URLs of an existing app "
                          "were changed (form 08 naming client_id); its secret is unchanged")


class ApprovalAnswer(Model):
    request: RequestView
    credentials: AppCredentials | None = None
    sso: SsoRegistration | None = Field(default=None, description="Form 08: the SSO app")
    account: SetupLink | None = Field(default=None, description="Form 09: the SSO admin "
                                      "and the one-time link to set their password, shown "
                                      "in this answer only")
    note: str | None = None


# -- views ------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return None if value is None else iso(int(value))


def is_overdue(item: Item, now: int) -> bool:
    return item.get("state") == SUBMITTED and now > int(item.get("due_at") or now)


def summary(item: Item, now: int) -> RequestSummary:
    kind = item["request_kind"]
    return RequestSummary(
        id=item["id"], kind=kind, form=KINDS[kind].form, unit=item["unit"],
        state=item["state"], title=item["title"], created_at=iso(int(item["created_at"])),
        completed_at=_iso(item.get("completed_at")), due_date=item.get("due_date"),
        due_at=_iso(item.get("due_at")), overdue=is_overdue(item, now),
        answered_at=_iso(item.get("answered_at")))


def view(item: Item, now: int) -> RequestView:
    return RequestView(
        **summary(item, now).model_dump(), filed_by=item["filed_by"], fields=item["fields"],
        missing=item.get("missing") or [], answered_by=item.get("answered_by"),
        reason=item.get("reason"), result=item.get("result") or {},
        answer=item.get("answer") or {},
        history=[HistoryEntry(**{**h, "at": iso(int(h["at"]))})
                 for h in item.get("history") or []])
