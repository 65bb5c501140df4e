"""The admin request routes (forms 01-13) on top of the fake hub's authentication, for the
CLI tests of `lgsp admin requests ...` signed as an app or sent as a person."""

from __future__ import annotations

import itertools
import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from tests.client.fakehub import FakeHub
from tests.client.server import Received, Reply

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
UNIT = "000.00.31.H99"
SSO_ANSWERS: dict[str, dict[str, Any]] = {
    "sso_register_app": {"sso": {
        "discovery_url": "https://lgsp.test/sso/.well-known/openid-configuration",
        "client_id": "sso-1", "client_secret": "cs-once", "client_type": "confidential",
        "token_endpoint_auth_method": "client_secret_basic",
        "redirect_uris": ["https://a.example/cb"], "post_logout_redirect_uris": [],
        "backchannel_logout_uri": None, "changed": False}},
    "sso_admin_account": {"account": {
        "person": {"account": f"qtsso@{UNIT}@lgsp.gov.vn"},
        "link": "https://lgsp.test/sso/setup/link-once", "expires_at": "2026-11-21T00:00:00Z"}},
}


def _json(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


@dataclass
class RequestsHub:
    """The request routes on top of the fake hub's signature check."""

    fake: FakeHub
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    bodies: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __call__(self, r: Received) -> Reply:
        path, _, query = r.path.partition("?")
        if not path.startswith("/v1/admin/requests"):
            return self.fake(r)
        caller = self.fake._caller(r)
        if isinstance(caller, Reply):
            return caller
        body = json.loads(r.body) if r.body else {}
        self.bodies.append((r.method, r.path, body))
        parts = path.strip("/").split("/")[3:]
        if not parts:
            return self._file(caller, body) if r.method == "POST" else _json(200, {
                "items": list(self.requests.values()), "next_cursor": None,
                "query": urllib.parse.parse_qs(query)})
        request = self.requests.get(parts[0])
        if request is None:
            return _json(404, {"error": {"code": "request_not_found", "message": "no"}})
        if len(parts) == 1:
            if r.method == "PATCH":
                request["fields"].update(body["fields"])
                request.update(state="submitted", missing=[], due_date="2026-11-27")
            return _json(200, request)
        return self._act(request, parts[1], body, r)

    def _file(self, caller: str, body: dict[str, Any]) -> Reply:
        request_id = f"{next(self._ids):032x}"
        complete = "purpose" in body["fields"]
        self.requests[request_id] = {
            "id": request_id, "kind": body["kind"], "form": "01",
            "unit": body.get("unit", caller), "state": "submitted" if complete else "draft",
            "title": body["fields"].get("system_name", "Mẫu số 01"),
            "due_date": "2026-11-25" if complete else None, "overdue": False,
            "missing": [] if complete else ["purpose"], "fields": body["fields"],
            "history": [{"at": "t0", "event": "filed", "unit": caller}]}
        return _json(201, self.requests[request_id])

    def _act(self, request: dict[str, Any], action: str, body: dict[str, Any],
             r: Received) -> Reply:
        if action == "letter":
            if r.headers.get("Accept") != DOCX:
                return _json(400, {"error": {"code": "BadRequest", "message": "Accept"}})
            return Reply(200, b"PK\x03\x04 docx", {
                "Content-Type": DOCX,
                "Content-Disposition": f'attachment; filename="mau-02-{request["id"]}.docx"'})
        if request["state"] != "submitted" and action != "withdraw":
            return _json(409, {"error": {"code": "already_answered", "message": "done"}})
        request["state"] = {"approve": "approved", "refuse": "refused"}.get(action,
                                                                            "withdrawn")
        if action != "approve":
            return _json(200, request)
        if request["kind"] in SSO_ANSWERS:
            return _json(200, {"request": request, "credentials": None,
                               **SSO_ANSWERS[request["kind"]]})
        return _json(200, {"request": request, "note": "Hand the secret key over now.",
                           "credentials": {"unit": request["unit"], "app": "app-new",
                                           "access_key": "AKNEWAPP", "algorithm":
                                           "hmac-sha256", "secret_key": "s3cr3t-once"}})
