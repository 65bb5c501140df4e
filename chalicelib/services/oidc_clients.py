"""The apps registered with the province's single sign-on (R-SSO-1, R-JOIN-4, forms 08-13).

A client is created when an operator approves form 08: its redirect (login) URLs, its
logout URLs and its back-channel logout URI are exactly those of the approved request.
Form 12's approval disables it: every token it holds stops working at once (the hub
checks the client on every use) and everyone signed in to it is logged out of it.
The `lgsp` CLI's client is built in (public, device flow, first party).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import credentials
from chalicelib.domain import keys, oidc as rules
from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.ports import Condition, Item, Put, TransactOp, Update
from chalicelib.services.deps import Deps
from chalicelib.services.partitions import every_item

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
BUILT_IN: dict[str, Item] = {
    rules.CLI_CLIENT: {
        "client_id": rules.CLI_CLIENT, "name": "lgsp CLI", "unit": None,
        "client_type": rules.PUBLIC, "token_endpoint_auth_method": "none",
        "redirect_uris": [], "post_logout_redirect_uris": [],
        "grant_types": [DEVICE_GRANT, "refresh_token"], "status": rules.ACTIVE,
        "first_party": True},
    # The console: public (its code is redeemed in the same process, with PKCE), its one
    # redirect URI beside the issuer (`query_client` fills it in per deployment).
    rules.CONSOLE_CLIENT: {
        "client_id": rules.CONSOLE_CLIENT, "name": "LGSP console", "unit": None,
        "client_type": rules.PUBLIC, "token_endpoint_auth_method": "none",
        "redirect_uris": [], "post_logout_redirect_uris": [],
        "grant_types": ["authorization_code"], "status": rules.ACTIVE, "first_party": True},
}


@dataclass(frozen=True)
class NewClient:
    item: Item
    secret: str | None
    ops: list[TransactOp]


def load(deps: Deps, client_id: str) -> Item | None:
    if client_id in BUILT_IN:
        return BUILT_IN[client_id]
    if not client_id.startswith("sso-") or len(client_id) > 80:
        return None
    return deps.table.get(*keys.oidc_client(client_id))


def require(deps: Deps, unit: str, client_id: str) -> Item:
    client = load(deps, client_id)
    if client is None or client.get("unit") != unit:
        raise NotFoundError(f"Unit {unit} has no SSO app {client_id}.",
                            code="sso_app_not_found")
    return client


def new_client(deps: Deps, unit: str, fields: dict[str, Any], *, request_id: str
               ) -> NewClient:
    """A client from an approved form 08's fields; its secret (confidential clients with
    `client_secret_basic`) is returned once and kept only as a hash."""
    client_id = "sso-" + deps.ids.new_id()
    client_type = fields.get("client_type") or rules.CONFIDENTIAL
    method = fields.get("token_auth") or (
        "none" if client_type == rules.PUBLIC else "client_secret_basic")
    secret = credentials.new_secret() if method == "client_secret_basic" else None
    pk, sk = keys.oidc_client(client_id)
    item: Item = {
        "pk": pk, "sk": sk, "kind": "oidc_client", "client_id": client_id, "unit": unit,
        "name": fields.get("system_name") or client_id, "client_type": client_type,
        "token_endpoint_auth_method": method,
        "secret_hash": credentials.digest(secret) if secret else None,
        "jwks": fields.get("jwks"),
        "redirect_uris": list(fields.get("redirect_uris") or []),
        "post_logout_redirect_uris": list(fields.get("post_logout_redirect_uris") or []),
        "backchannel_logout_uri": fields.get("backchannel_logout_uri"),
        "grant_types": ["authorization_code", "refresh_token"], "status": rules.ACTIVE,
        "first_party": False, "created_at": deps.clock.now(), "request_id": request_id,
        "version": 1}
    lpk, lsk = keys.unit_oidc_client(unit, client_id)
    link = {"pk": lpk, "sk": lsk, "kind": "unit_oidc_client", "client_id": client_id,
            "name": item["name"]}
    return NewClient(item, secret, [Put(item, Condition(exists=False)), Put(link)])


def amend_op(client: Item, fields: dict[str, Any]) -> Update:
    """An approved change of an existing client's URLs (form 08 naming `client_id`)."""
    changes: dict[str, Any] = {name: fields[name] for name in
               ("redirect_uris", "post_logout_redirect_uris", "backchannel_logout_uri")
               if name in fields}
    return Update(client["pk"], client["sk"], set={**changes,
                                                   "version": int(client["version"]) + 1},
                  condition=Condition(equals={"version": client["version"],
                                              "status": rules.ACTIVE}))


def disable_op(deps: Deps, client: Item) -> Update:
    return Update(client["pk"], client["sk"], set={"status": rules.DISABLED,
                                                   "disabled_at": deps.clock.now()},
                  condition=Condition(equals={"status": rules.ACTIVE}))


def rotate_secret(deps: Deps, client: Item) -> str:
    """A new secret for a confidential client; the old one stops working now."""
    secret = credentials.new_secret()
    deps.table.update(Update(client["pk"], client["sk"], set={
        "secret_hash": credentials.digest(secret), "secret_rotated_at": deps.clock.now()},
        condition=Condition(equals={"status": rules.ACTIVE,
                                    "token_endpoint_auth_method": "client_secret_basic"})))
    return secret


def of_unit(deps: Deps, unit: str) -> list[Item]:
    links = every_item(deps, keys.unit_partition(unit), prefix=keys.UNIT_SSO_CLIENTS)
    found = (load(deps, link["client_id"]) for link in links)
    return [client for client in found if client is not None]


def public_view(client: Item) -> dict[str, Any]:
    """What the unit and operators see of a client (never its secret's hash)."""
    return {name: client.get(name) for name in (
        "client_id", "unit", "name", "client_type", "token_endpoint_auth_method",
        "redirect_uris", "post_logout_redirect_uris", "backchannel_logout_uri", "status")}
