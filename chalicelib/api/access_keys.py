"""Key lifecycle routes (R-JOIN-2, R-COMP-4): an app lists, rotates and revokes its own keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api.http import Call, RouteSpec, WireModels, api_route

if TYPE_CHECKING:
    from chalicelib.domain.access_key_schemas import IssuedKey, KeyList, KeyView, RotateKeyRequest

models = WireModels("chalicelib.domain.access_key_schemas")

keys_api = Blueprint(__name__)


@api_route(keys_api, RouteSpec(
    "GET", "/v1/keys", "The access keys of the caller's app, newest first (no secrets)",
    models.KeyList, errors=(401,)))
def list_keys(call: Call) -> KeyList:
    from chalicelib.services import access_keys
    return access_keys.list_keys(call.deps, call.who)


@api_route(keys_api, RouteSpec(
    "POST", "/v1/keys", "Rotate: issue a new key; the app's other active keys stay valid "
    "until the overlap ends", models.IssuedKey, status=201, request=models.RotateKeyRequest,
    errors=(400, 401, 409),
    before_retry="Each call issues a key: list GET /v1/keys first. A key issued by the failed "
                 "call works; if it is HMAC its secret is lost: revoke it (DELETE "
                 "/v1/keys/{key_id}) and rotate again."))
def rotate_key(call: Call) -> IssuedKey:
    from chalicelib.services import access_keys
    body: RotateKeyRequest = call.body
    issued = access_keys.rotate_key(call.deps, call.who, algorithm=body.algorithm,
                                      public_key=body.public_key)
    call.headers["Location"] = f"/v1/keys/{issued.key.key_id}"
    call.headers["Cache-Control"] = "no-store"
    return issued


@api_route(keys_api, RouteSpec(
    "DELETE", "/v1/keys/{key_id}", "Revoke a key of the caller's app at once",
    models.KeyView, errors=(401, 404, 409)))
def revoke_key(call: Call, key_id: str) -> KeyView:
    from chalicelib.services import access_keys
    return access_keys.revoke_key(call.deps, call.who, key_id)
