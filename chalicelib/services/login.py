"""A person's login at the hub's SSO pages: password, then the second factor, with a
temporary lock-out after repeated failures that never tells whether an account exists.

Between the password and the second factor the login is a *step*: a short-lived item
keyed by the hash of a secret the browser holds in a cookie. Each step is used once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import credentials
from chalicelib.domain import keys, people as rules
from chalicelib.domain.errors import ConditionFailedError, TransactionConflictError
from chalicelib.domain.ports import Condition, Delete, Item, Put, Update
from chalicelib.services import people, replay
from chalicelib.services.deps import Deps

DONE, OTP, OTP_SETUP = "done", "otp", "otp_setup"


class LoginRefused(Exception):
    """A login answer that is not a success; `reason` picks the page's message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # invalid | locked | expired | weak_password


@dataclass(frozen=True)
class Outcome:
    """Where a login stands: `DONE` with the person, or a further step (its secret goes
    into the browser's step cookie)."""

    stage: str
    person: Item
    step: str | None = None


def _failures(deps: Deps, typed: str) -> rules.Failures:
    item = deps.table.get(*keys.login_failures(typed))
    if item is None:
        return rules.Failures()
    return rules.Failures(int(item.get("count", 0)), int(item.get("locked_until", 0)))


def _record_failure(deps: Deps, typed: str, now: int) -> None:
    """One more failure, counted atomically (parallel guesses all count); the count that
    reaches the limit locks the name and starts counting again."""
    pk, sk = keys.login_failures(typed)
    ttl = now + 2 * rules.LOCK_SECONDS
    item = deps.table.update(Update(pk, sk, set={"kind": "login_failures", "ttl": ttl},
                                    add={"count": 1}))
    after = rules.Failures(int(item["count"]) - 1, int(item.get("locked_until") or 0)
                           ).after_failure(now)
    if after.locked_until != int(item.get("locked_until") or 0):
        deps.table.update(Update(pk, sk, set={"locked_until": after.locked_until,
                                              "count": after.count, "ttl": ttl}))


def _clear_failures(deps: Deps, typed: str) -> None:
    deps.table.delete(*keys.login_failures(typed))


def _new_step(deps: Deps, person: Item, stage: str, **extra: Any) -> str:
    secret = credentials.new_secret()
    expires = deps.clock.now() + rules.LOGIN_STEP_SECONDS
    pk, sk = keys.login_step(credentials.digest(secret))
    deps.table.put({"pk": pk, "sk": sk, "kind": "login_step", "account": person["account"],
                    "stage": stage, "ttl": expires, "expires_at": expires, **extra},
                   Condition(exists=False))
    return secret


def _next(deps: Deps, person: Item) -> Outcome:
    if person.get("second_factor"):
        return Outcome(OTP, person, _new_step(deps, person, OTP))
    if rules.needs_second_factor(person["roles"]):
        pending = credentials.new_totp_secret()
        sealed = deps.sealer.seal(pending.encode(), f"totp:{person['account']}")
        return Outcome(OTP_SETUP, person, _new_step(deps, person, OTP_SETUP,
                                                    pending_sealed=sealed))
    return Outcome(DONE, person)


def with_password(deps: Deps, typed: str, password: str) -> Outcome:
    """Check an account name and password. Every refusal is `invalid` (or `locked` once
    the name has failed too often), whether or not the account exists."""
    now, typed = deps.clock.now(), typed.strip()[:200]
    if _failures(deps, typed).locked(now):
        raise LoginRefused("locked")
    name = rules.parse_account(typed, deps.settings.province_domain)
    person = people.load(deps, rules.account(name.username, name.unit,
                                             deps.settings.province_domain)) if name else None
    stored = person.get("password_hash") if person else None
    good = credentials.password_matches(stored, password)
    if not good or person is None or person["status"] != rules.ACTIVE:
        _record_failure(deps, typed, now)
        raise LoginRefused("invalid")
    _clear_failures(deps, typed)
    return _next(deps, person)


def load_step(deps: Deps, secret: str | None, stage: str) -> Item:
    """The pending step of the browser's cookie, at `stage`; `expired` otherwise."""
    if not secret:
        raise LoginRefused("expired")
    step = deps.table.get(*keys.login_step(credentials.digest(secret)))
    if step is None or step["stage"] != stage or int(step["expires_at"]) < deps.clock.now():
        raise LoginRefused("expired")
    return step


def _finish_step(deps: Deps, step: Item) -> None:
    try:
        deps.table.delete(step["pk"], step["sk"], Condition(exists=True))
    except ConditionFailedError as exc:  # used by a parallel request
        raise LoginRefused("expired") from exc


def _active_person(deps: Deps, account: str) -> Item:
    person = people.load(deps, account)
    if person is None or person["status"] != rules.ACTIVE:
        raise LoginRefused("expired")
    return person


def with_otp(deps: Deps, step_secret: str | None, code: str) -> Outcome:
    """The second factor of a pending login; a code is good once (replay refused)."""
    step = load_step(deps, step_secret, OTP)
    person = _active_person(deps, step["account"])
    now = deps.clock.now()
    if _failures(deps, person["account"]).locked(now):
        raise LoginRefused("locked")
    secret = deps.sealer.open(person["totp_sealed"], f"totp:{person['account']}").decode()
    counter = credentials.totp_counter(secret, code, now)
    if counter is None or not _first_use(deps, person["account"], counter, now):
        _record_failure(deps, person["account"], now)
        raise LoginRefused("invalid")
    _finish_step(deps, step)
    return Outcome(DONE, person)


def _first_use(deps: Deps, account: str, counter: int, now: int) -> bool:
    return replay.first_use(deps, keys.otp_used(account, counter), "otp_used", ttl=now + 120)


def enrolment(deps: Deps, step_secret: str | None) -> tuple[str, str]:
    """The pending TOTP secret of an enrolment step, and its `otpauth://` URI."""
    step = load_step(deps, step_secret, OTP_SETUP)
    secret = deps.sealer.open(step["pending_sealed"], f"totp:{step['account']}").decode()
    return secret, credentials.totp_uri(secret, step["account"], "LGSP")


def confirm_enrolment(deps: Deps, step_secret: str | None, code: str) -> Outcome:
    """The first code from the new authenticator proves it; the secret is then the
    person's (sealed) and the login is done."""
    step = load_step(deps, step_secret, OTP_SETUP)
    person = _active_person(deps, step["account"])
    secret = deps.sealer.open(step["pending_sealed"], f"totp:{step['account']}").decode()
    now = deps.clock.now()
    counter = credentials.totp_counter(secret, code, now)
    if counter is None or not _first_use(deps, person["account"], counter, now):
        raise LoginRefused("invalid")
    _finish_step(deps, step)
    saved = people.save(deps, person, {"totp_sealed": step["pending_sealed"],
                                       "second_factor": True})
    return Outcome(DONE, saved)


def setup_link(deps: Deps, secret: str) -> Item | None:
    """The live one-time link `secret` names, or None."""
    item = deps.table.get(*keys.setup_link(credentials.digest(secret)))
    if item is None or int(item["expires_at"]) < deps.clock.now():
        return None
    return item


def set_password(deps: Deps, secret: str, new_password: str) -> Item:
    """Use a one-time link: the new password, in one transaction with the link's end."""
    link = setup_link(deps, secret)
    if link is None:
        raise LoginRefused("expired")
    person = _active_person(deps, link["account"])
    problem = rules.password_problem(new_password, person["username"])
    if problem:
        raise LoginRefused(problem)
    version = int(person["version"])
    try:
        deps.table.transact([
            Delete(link["pk"], link["sk"], Condition(exists=True)),
            Update(person["pk"], person["sk"], set={
                "password_hash": credentials.hash_password(new_password),
                "password_set": True, "password_changed_at": deps.clock.now(),
                "version": version + 1}, condition=Condition(equals={"version": version})),
            Put(people.link_of({**person, "password_set": True}))])
    except TransactionConflictError as exc:
        raise LoginRefused("expired") from exc
    _clear_failures(deps, person["account"])
    return person


def change_password(deps: Deps, account: str, current: str, new_password: str) -> None:
    """A signed-in person changes their own password: the current one first (a wrong
    one counts toward the lock-out like a failed login)."""
    now = deps.clock.now()
    if _failures(deps, account).locked(now):
        raise LoginRefused("locked")
    person = _active_person(deps, account)
    if not credentials.password_matches(person.get("password_hash"), current):
        _record_failure(deps, account, now)
        raise LoginRefused("wrong_current_password")
    problem = rules.password_problem(new_password, person["username"])
    if problem:
        raise LoginRefused(problem)
    people.save(deps, person, {"password_hash": credentials.hash_password(new_password),
                               "password_changed_at": now})
