"""An in-test stand-in for the hub and its object store, over real HTTP.

It follows the API contract closely enough to drive the client end to end: every /v1 call
except health and time must carry a valid `lgsp` signature (checked with the library's
verifier over the canonical URL the hub rebuilds), or, when `bearer` is set, a person's
`Authorization: Bearer` token that `bearer` accepts; uploads are bound to length and SHA-256
like presigned PUTs, and confirm compares the destination's hash.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from http_message_signatures import HTTPMessageVerifier
from http_message_signatures.resolvers import MappingKeyResolver

from lgsp_client.algorithms import ALGORITHMS
from tests.client.server import Received, Reply

SKEW = 300


class _NoClockVerifier(HTTPMessageVerifier):
    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


@dataclass
class _Msg:
    method: str
    url: str
    headers: dict[str, str]


def _json(status: int, data: Any, **headers: str) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json",
                                                     **headers})


def _error(status: int, code: str, message: str = "refused") -> Reply:
    return _json(status, {"error": {"code": code, "message": message}})


@dataclass
class FakeHub:
    keys: dict[str, str]
    units: dict[str, str]
    single_max: int = 6 * 1024 * 1024
    clock_offset: int = 0
    corrupt_download: bool = False
    create_expires_at: str = "2999-01-01T00:00:00Z"
    refuse_puts: int = 0
    url: str = ""
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, str] = field(default_factory=dict)
    parts: dict[tuple[str, int], bytes] = field(default_factory=dict)
    confirmations: list[tuple[str, str, bool]] = field(default_factory=list)
    signed_urls: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    rsa_keys: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    rotations: list[dict[str, Any]] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    websocket_url: str | None = None
    bearer: Callable[[str], str | Reply] | None = None

    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    # -- authentication ---------------------------------------------------------------

    def _caller(self, r: Received) -> str | Reply:
        scheme, _, token = r.headers.get("Authorization", "").partition(" ")
        if self.bearer is not None and scheme == "Bearer":
            return self.bearer(token)
        path, _, query = r.path.partition("?")
        pairs = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
        canonical = urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)
        url = f"http://{r.headers['Host']}{path}" + (f"?{canonical}" if canonical else "")
        self.signed_urls.append(url)
        found = re.search(r'keyid="([^"]+)"', r.headers.get("Signature-Input", ""))
        alg, public = self.rsa_keys.get(found.group(1) if found else "", ("hmac-sha256", b""))
        verifier = _NoClockVerifier(
            signature_algorithm=ALGORITHMS[alg],
            key_resolver=MappingKeyResolver(
                public_keys={**{k: s.encode() for k, s in self.keys.items()},
                             **{k: v[1] for k, v in self.rsa_keys.items()}}, private_keys={}))
        required = ["@method", "@target-uri"] + (["content-digest"] if r.body else [])
        try:
            result = verifier.verify(_Msg(r.method, url, r.headers), max_age=None,
                                     require_components=required, body=r.body or None)[0]
        except Exception:
            return _error(401, "signature_invalid")
        if abs(int(result.parameters["created"]) - self.now()) > SKEW:
            return _error(401, "clock_skew")
        if result.parameters["keyid"] in self.revoked:
            return _error(401, "key_revoked")
        return self.units[str(result.parameters["keyid"])]

    # -- routes -------------------------------------------------------------------------

    def __call__(self, r: Received) -> Reply:
        path = r.path.partition("?")[0]
        if path.startswith("/store/"):
            return self._store(r, path)
        if path == "/v1/time":
            return _json(200, {"epoch": self.now(), "iso": "now"})
        if path == "/v1/health":
            return _json(200, {"status": "ok", "version": "test",
                               "websocket_url": self.websocket_url})
        caller = self._caller(r)
        if isinstance(caller, Reply):
            return caller
        body = json.loads(r.body) if r.body else {}
        if (r.method, path) == ("GET", "/v1/whoami"):
            return _json(200, {"unit": caller, "app": "app", "key_id": "k", "algorithm": "h"})
        if path.startswith("/v1/keys"):
            return self._keys(r.method, path, body)
        if (r.method, path) == ("POST", "/v1/messages"):
            return self._create(caller, body, r.headers.get("Idempotency-Key"))
        if path in ("/v1/inbox", "/v1/outbox"):
            mine = [m for m in self.messages.values() if
                    (caller in m["to"] if path == "/v1/inbox" else m["source"] == caller)]
            return _json(200, {"items": [self._view(m) for m in mine], "next_cursor": None})
        _, _, message_id, *action = path.strip("/").split("/")
        msg = self.messages.get(message_id)
        if msg is None:
            return _error(404, "message_not_found")
        if r.method == "GET" and not action:
            return _json(200, self._status(msg))
        if r.method == "GET" and action == ["upload"]:
            return _json(200, self._plan(msg))
        return self._act(msg, caller, action[0], body)

    def _keys(self, method: str, path: str, body: dict[str, Any]) -> Reply:
        """Just enough of the key routes to drive the CLI (status from `revoked`)."""
        views = [{"key_id": k, "algorithm": self.rsa_keys.get(k, ("hmac-sha256",))[0],
                  "status": "revoked" if k in self.revoked else "active",
                  "created_at": "t0", "last_used_at": None, "current": False}
                 for k in [*self.keys, *self.rsa_keys]]
        if method == "GET":
            return _json(200, {"items": views})
        if method == "POST":
            self.rotations.append(body)
            algorithm = body.get("algorithm", "hmac-sha256")
            key = {**views[0], "key_id": "AKNEW", "algorithm": algorithm}
            return _json(201, {"key": key, "retiring": [{**views[0], "status": "retiring",
                                                         "valid_until": "t9"}],
                               "secret_key": None if body.get("public_key") else "new-secret"})
        key_id = path.rsplit("/", 1)[1]
        if key_id not in self.keys and key_id not in self.rsa_keys:
            return _error(404, "key_not_found", "no such key")
        self.revoked.add(key_id)
        return _json(200, {"key_id": key_id, "status": "revoked", "revoked_at": "t1"})

    def _create(self, caller: str, body: dict[str, Any], key: str | None) -> Reply:
        if key and key in self.idempotency:
            msg = self.messages[self.idempotency[key]]
            if msg["request"] != body:
                return _error(409, "idempotency_conflict", "used for a different request")
            plan = self._plan(msg, self.create_expires_at) if msg["state"] == "requested" \
                else None
            return _json(200, {"message": self._view(msg), "upload": plan})
        content = body["content"]
        if content["size"] > self.single_max and not content.get("parts"):
            return _error(400, "parts_required", "declare content.parts")
        message_id = f"M{next(self._ids):04d}"
        multipart = content["size"] > self.single_max
        msg = {"id": message_id, "source": caller, "to": body["to"], "request": body,
               "state": "requested", "data": b"",
               "deliveries": dict.fromkeys(body["to"], "pending"),
               "parts": content["parts"] if multipart else [{"size": content["size"],
                                                             "sha256": content["sha256"]}]}
        self.messages[message_id] = msg
        if key:
            self.idempotency[key] = message_id
        return _json(201, {"message": self._view(msg),
                           "upload": self._plan(msg, self.create_expires_at)})

    def _plan(self, msg: dict[str, Any], expires_at: str = "2999-01-01T00:00:00Z"
              ) -> dict[str, Any]:
        offset, requests = 0, []
        multipart = len(msg["parts"]) > 1 or msg["request"]["content"]["size"] > self.single_max
        for n, part in enumerate(msg["parts"], start=1):
            digest = base64.b64encode(bytes.fromhex(part["sha256"])).decode()
            requests.append({"part_number": n if multipart else None, "method": "PUT",
                             "url": f"{self.url}/store/{msg['id']}/{n}?X-Amz-Signature=s3cr3t",
                             "headers": {"x-amz-checksum-sha256": digest},
                             "offset": offset, "size": part["size"]})
            offset += part["size"]
        return {"mode": "multipart" if multipart else "single",
                "expires_at": expires_at, "requests": requests}

    def _view(self, msg: dict[str, Any]) -> dict[str, Any]:
        req = msg["request"]
        return {"id": msg["id"], "source": msg["source"], "to": msg["to"],
                "title": req["title"], "priority": req["priority"], "state": msg["state"],
                "size": req["content"]["size"], "sha256": req["content"]["sha256"],
                "file_name": req["content"]["file_name"], "created_at": "t0",
                "available_at": "t1"}

    def _status(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"message": self._view(msg),
                "deliveries": [{"unit": u, "state": s} for u, s in msg["deliveries"].items()],
                "trace": [{"at": "t0", "event": "requested", "unit": msg["source"]}]}

    def _act(self, msg: dict[str, Any], caller: str, action: str,
             body: dict[str, Any]) -> Reply:
        if action == "complete":
            if msg["state"] == "requested":
                data = b"".join(self.parts.get((msg["id"], n), b"")
                                for n in range(1, len(msg["parts"]) + 1))
                if hashlib.sha256(data).hexdigest() != msg["request"]["content"]["sha256"]:
                    return _error(422, "checksum_mismatch")
                msg["data"], msg["state"] = data, "verified"
                msg["etags"] = body.get("parts", [])
            return _json(200, self._status(msg))
        if action == "fetch":
            return _json(200, {"method": "GET", "url": f"{self.url}/store/{msg['id']}/obj",
                               "headers": {}, "expires_at": "x", "size": len(msg["data"]),
                               "sha256": msg["request"]["content"]["sha256"],
                               "file_name": msg["request"]["content"]["file_name"],
                               "content_type": "application/octet-stream"})
        if action == "confirm":
            ok = body["sha256"] == msg["request"]["content"]["sha256"]
            self.confirmations.append((msg["id"], body["sha256"], ok))
            if not ok:
                return _error(422, "checksum_mismatch", "the hashes differ")
            msg["deliveries"][caller] = "confirmed"
            return _json(200, {"unit": caller, "state": "confirmed"})
        msg["deliveries"][caller] = "rejected"
        return _json(200, {"unit": caller, "state": "rejected", "reason": body["reason"]})

    def _store(self, r: Received, path: str) -> Reply:
        _, message_id, name = path.strip("/").split("/")
        if r.method == "GET":
            data = self.messages[message_id]["data"]
            if self.corrupt_download:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            wanted = r.headers.get("Range")
            if wanted is None:
                return Reply(200, data)
            start, end = (int(x) for x in wanted.removeprefix("bytes=").split("-"))
            return Reply(206, data[start:end + 1],
                         {"Content-Range": f"bytes {start}-{end}/{len(data)}"})
        if self.refuse_puts > 0:
            self.refuse_puts -= 1
            return Reply(403, b"<Error><Code>AccessDenied</Code></Error>")
        expected = r.headers.get("x-amz-checksum-sha256")
        actual = base64.b64encode(hashlib.sha256(r.body).digest()).decode()
        if expected != actual:
            return Reply(400, b"<Error><Code>BadDigest</Code></Error>")
        self.parts[(message_id, int(name))] = r.body
        return Reply(200, b"", {"ETag": f'"{hashlib.md5(r.body).hexdigest()}"'})
