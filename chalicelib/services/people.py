"""People's accounts (R-COMP-6, R-OPS-3): unit admins manage their unit's people,
operators any unit's. A person is created without a password: the answer carries a
one-time link where they set it (never a mailed password); an admin's reset issues
another. Every change writes a line in the unit's history, naming who did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import credentials
from chalicelib.domain import keys, people as rules
from chalicelib.domain.errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
)
from chalicelib.domain.people_schemas import (
    ChangePerson,
    CreatePerson,
    PeopleList,
    PersonView,
    ResetPerson,
    SetupLink,
)
from chalicelib.domain.ports import Condition, Item, Put, TransactOp, Update
from chalicelib.domain.signatures import Caller
from chalicelib.domain.times import iso
from chalicelib.services import roles, units
from chalicelib.services.deps import Deps

# What the unit's partition keeps of each person (listing reads only the links).
_LINKED = ("account", "username", "name", "email", "roles", "status", "second_factor",
           "password_set", "created_at", "created_by", "unit")


def view(item: Item) -> PersonView:
    return PersonView(account=item["account"], username=item["username"], unit=item["unit"],
                      name=item["name"], email=item.get("email"), roles=list(item["roles"]),
                      status=item["status"], second_factor=bool(item.get("second_factor")),
                      password_set=bool(item.get("password_set")),
                      created_at=iso(int(item["created_at"])),
                      created_by=item.get("created_by"))


def load(deps: Deps, account: str) -> Item | None:
    return deps.table.get(*keys.person(account))


def link_of(item: Item) -> Item:
    pk, sk = keys.unit_person(item["unit"], item["username"])
    return {"pk": pk, "sk": sk, "kind": "unit_person", **{f: item.get(f) for f in _LINKED}}


def _require_manager(deps: Deps, caller: Caller, code: str) -> None:
    roles.require_unit_admin(deps, caller, code)


def _check_roles(deps: Deps, caller: Caller, code: str, wanted: list[str]) -> None:
    problem = rules.allowed_roles(wanted, operator_unit=roles.is_operator_unit(deps, code))
    if problem:
        raise InvalidRequestError(problem, code="invalid_roles")
    if rules.OPERATOR in wanted and not roles.is_operator(deps, caller):
        raise ForbiddenError("Only an operator may make someone an operator.",
                             code="forbidden")


def setup_link_ops(deps: Deps, account: str, purpose: str) -> tuple[str, int, Put]:
    """A one-time link's secret, its expiry, and its item (keyed by the secret's hash)."""
    secret = credentials.new_secret()
    expires = deps.clock.now() + rules.SETUP_LINK_SECONDS
    pk, sk = keys.setup_link(credentials.digest(secret))
    return secret, expires, Put({"pk": pk, "sk": sk, "kind": "setup_link", "account": account,
                                 "purpose": purpose, "expires_at": expires, "ttl": expires},
                                Condition(exists=False))


def _link(base: str, secret: str) -> str:
    return f"{base}/setup/{secret}"


@dataclass(frozen=True)
class NewPerson:
    """A person about to be created: the item, the answer with its one-time link, and
    the writes of one transaction (the person, the unit's link, the setup link, the
    unit's history)."""

    item: Item
    answer: SetupLink
    ops: list[TransactOp]


def new_person(deps: Deps, code: str, *, username: str, name: str, email: str | None,
               roles: list[str], actor: str, issuer: str,
               detail: dict[str, Any] | None = None) -> NewPerson:
    """A person of unit `code` (which must be active), without a password: the ops to
    write, for the caller's own transaction. Who may create them, and with which roles,
    is the caller's to check; a person already there is 409 `person_exists`."""
    unit = units.require_unit(deps, code)
    if unit["status"] != units.ACTIVE:
        raise ConflictError(f"Unit {code} is {unit['status']}.", code="unit_not_active",
                            unit=code, status=unit["status"])
    account = rules.account(username, code, deps.settings.province_domain)
    if load(deps, account) is not None:
        raise ConflictError(f"{account} already exists.", code="person_exists",
                            account=account)
    pk, sk = keys.person(account)
    item: Item = {"pk": pk, "sk": sk, "kind": "person", "account": account,
                  "username": username, "unit": code, "sub": "p-" + deps.ids.new_id(),
                  "name": name, "email": email, "roles": roles, "status": rules.ACTIVE,
                  "password_set": False, "second_factor": False,
                  "created_at": deps.clock.now(), "created_by": actor, "version": 1}
    secret, expires, link = setup_link_ops(deps, account, "setup")
    history = units.history_put(deps, code, "person_created", actor=actor, detail={
        "account": account, "roles": roles, **(detail or {})})
    answer = SetupLink(person=view(item), link=_link(issuer, secret), expires_at=iso(expires))
    return NewPerson(item, answer, [Put(item, Condition(exists=False)), Put(link_of(item)),
                                    link, history])


def create(deps: Deps, caller: Caller, code: str, body: CreatePerson, *, issuer: str
           ) -> SetupLink:
    """A person of unit `code` (active), with a one-time link to set their password."""
    _require_manager(deps, caller, code)
    units.require_unit(deps, code)
    wanted: list[str] = list(dict.fromkeys(body.roles))
    _check_roles(deps, caller, code, wanted)
    new = new_person(deps, code, username=body.username, name=body.name, email=body.email,
                     roles=wanted, actor=caller.actor, issuer=issuer)
    try:
        deps.table.transact(new.ops)
    except Exception as exc:
        account = new.item["account"]
        if load(deps, account) is not None:
            raise ConflictError(f"{account} already exists.", code="person_exists",
                                account=account) from exc
        raise
    return new.answer


def list_people(deps: Deps, caller: Caller, code: str, *, limit: int, cursor: str | None
                ) -> PeopleList:
    _require_manager(deps, caller, code)
    units.require_unit(deps, code)
    page = deps.table.query(keys.unit_partition(code), prefix=keys.UNIT_PEOPLE, limit=limit,
                            cursor=cursor)
    return PeopleList(items=[view(link) for link in page.items], next_cursor=page.cursor)


def _require_person(deps: Deps, code: str, username: str) -> Item:
    if not rules.valid_username(username):
        raise InvalidRequestError("username: a-z, 0-9, '.', '_', '-', starting with a letter.",
                                  code="invalid_username")
    item = load(deps, rules.account(username, code, deps.settings.province_domain))
    if item is None:
        raise NotFoundError(f"Unit {code} has no person {username}.", code="person_not_found")
    return item


def save(deps: Deps, item: Item, changes: dict[str, Any], *,
         extra: list[TransactOp] | tuple[TransactOp, ...] = ()) -> Item:
    """Apply `changes` to a person read at `item['version']`, link included; 409 when
    someone changed the person meanwhile."""
    version = int(item["version"]) + 1
    gone = [k for k, v in changes.items() if v is None]
    kept = {k: v for k, v in changes.items() if v is not None}
    new = {**{k: v for k, v in item.items() if k not in gone}, **kept, "version": version}
    ops: list[TransactOp] = [
        Update(item["pk"], item["sk"], set={**kept, "version": version}, remove=gone,
               condition=Condition(equals={"version": item["version"]})),
        Put(link_of(new)), *extra]
    try:
        deps.table.transact(ops)
    except Exception as exc:
        fresh = load(deps, item["account"])
        if fresh is not None and fresh["version"] != item["version"]:
            raise ConflictError("The person changed meanwhile; retry.",
                                code="conflict") from exc
        raise
    return new


def change(deps: Deps, caller: Caller, code: str, username: str, body: ChangePerson, *,
           issuer: str) -> PersonView:
    """Rename, re-role, disable or enable a person. Disabling ends every SSO session of
    theirs at once (their apps are told by back-channel logout)."""
    _require_manager(deps, caller, code)
    item = _require_person(deps, code, username)
    changes = body.model_dump(exclude_none=True)
    if "roles" in changes:
        changes["roles"] = list(dict.fromkeys(changes["roles"]))
        _check_roles(deps, caller, code, changes["roles"])
    if caller.person == item["account"] and changes.get("status") == rules.DISABLED:
        raise ConflictError("You cannot disable yourself.", code="cannot_disable_self")
    if not changes:
        return view(item)
    history = units.history_put(deps, code, "person_changed", actor=caller.actor,
                                detail={"account": item["account"], **changes})
    new = save(deps, item, changes, extra=[history])
    if changes.get("status") == rules.DISABLED:
        from chalicelib.services import sso_sessions
        sso_sessions.end_person(deps, item["account"], issuer)
    return view(new)


def reset(deps: Deps, caller: Caller, code: str, username: str, body: ResetPerson, *,
          issuer: str) -> SetupLink:
    """A one-time link to set a new password (the old one works until the link is
    used); with `second_factor`, the enrolled TOTP is forgotten too."""
    _require_manager(deps, caller, code)
    item = _require_person(deps, code, username)
    secret, expires, link = setup_link_ops(deps, item["account"], "reset")
    history = units.history_put(deps, code, "person_reset", actor=caller.actor, detail={
        "account": item["account"], "second_factor": body.second_factor})
    changes: dict[str, Any] = {"second_factor": False, "totp_sealed": None} \
        if body.second_factor else {}
    new = save(deps, item, changes, extra=[link, history])
    return SetupLink(person=view(new), link=_link(issuer, secret), expires_at=iso(expires))
