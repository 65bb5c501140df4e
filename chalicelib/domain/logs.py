"""Rules of the audit log and of each unit's error log (R-OPS-5; docs/audit.md,
docs/reports.md). Pure: what is audited, how an action is named, what kind of error line
a refusal is, which key a refused signature claims, and how long lines are kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import http_sf

from .signatures import SIGNATURE_LABEL

DAY = 86_400
# Audit lines are kept two years: a year's inspection of the platform (R-OPS-4) can
# still read the whole previous year, and no line holds content or secrets.
AUDIT_KEEP_SECONDS = 730 * DAY
# Error lines serve integrators fixing their calls: 90 days covers a quarter's report.
ERROR_KEEP_SECONDS = 90 * DAY
# Refused calls written per unit per minute, separately for calls signed by the unit's
# keys and for calls only naming one (anyone can name a key id): the rest are counted.
MAX_REFUSED_PER_MINUTE = 20
RATE_KEEP_SECONDS = 600

OUTCOMES = ("ok", "refused", "failed")
# Mutating routes outside /v1/admin/ that change who may do what: audited for apps too.
AUDITED_PATHS = ("/v1/admin/", "/v1/catalogue/", "/v1/grants", "/v1/groups", "/v1/keys",
                 "/v1/services", "/v1/webhooks")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CONFIRM_ROUTE = "POST /v1/messages/{message_id}/confirm"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def audited(method: str, path: str, *, person: bool) -> bool:
    """Whether a call is an admin action: any change made by a person, or a change on
    an admin route (`/v1/admin/...`, the catalogue, grants, groups, keys,
    services)."""
    return method.upper() not in READ_METHODS and (person or path.startswith(AUDITED_PATHS))


def action_of(method: str, path: str) -> str:
    """An action's name: its route, `POST /v1/admin/units/{code}/apps`."""
    return f"{method.upper()} {path}"


def outcome_of(status: int) -> str:
    return "ok" if status < 400 else "refused" if status < 500 else "failed"


def refusal_kind(route: str, code: str) -> str:
    """A refused confirmation with another SHA-256 is the destination's failed fetch
    (counted and traced by the exchange too); every other refusal is `refused`."""
    return "fetch_failed" if (route, code) == (CONFIRM_ROUTE, "checksum_mismatch") \
        else "refused"


def claimed_key_id(headers: Mapping[str, str]) -> str | None:
    """The `keyid` a request's `lgsp` signature names, verified or not (None if the
    Signature-Input cannot be read); only ever used to find whose log a refusal goes to."""
    raw = next((v for k, v in headers.items() if k.lower() == "signature-input"), None)
    if not raw:
        return None
    try:
        parsed: Any = http_sf.parse(raw.encode(), tltype="dictionary")
    except (ValueError, TypeError):
        return None
    member = parsed.get(SIGNATURE_LABEL) if isinstance(parsed, dict) else None
    if not isinstance(member, tuple | list) or len(member) != 2:
        return None
    key_id = dict(member[1]).get("keyid")
    if isinstance(key_id, str) and key_id.isascii() and key_id.isalnum() and len(key_id) <= 64:
        return key_id
    return None


def client_request_id(headers: Mapping[str, str]) -> str | None:
    """The client's own `X-Request-Id`, kept if it is a plain token of at most 128."""
    raw = next((v for k, v in headers.items() if k.lower() == "x-request-id"), None)
    return raw if raw is not None and REQUEST_ID.match(raw) else None
