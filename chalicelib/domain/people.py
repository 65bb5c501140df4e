"""People of the province who log in through the hub's single sign-on (R-COMP-6, R-OPS-3).

A person belongs to one unit and has roles:

- **operator**: the province's IT department (only people of an operator unit);
- **unit_admin**: manages the unit's people, apps and requests (form 03 -> 04/05);
- **sso_admin**: manages the unit's SSO apps and nothing else (form 09 -> 10/11);
- **member**: a civil servant who logs in to the province's apps.

Rules here are pure: account names, the password policy, when a second factor is
required, and the temporary lock-out after repeated failures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPERATOR, UNIT_ADMIN, SSO_ADMIN, MEMBER = "operator", "unit_admin", "sso_admin", "member"
ROLES = (OPERATOR, UNIT_ADMIN, SSO_ADMIN, MEMBER)
ADMIN_ROLES = frozenset({OPERATOR, UNIT_ADMIN, SSO_ADMIN})
ACTIVE, DISABLED = "active", "disabled"

USERNAME = r"^[a-z][a-z0-9._-]{1,39}$"
_USERNAME = re.compile(USERNAME)
PASSWORD_MIN, PASSWORD_MAX = 10, 128
# Temporary lock-out: after MAX_FAILURES wrong answers in a row, LOCK_SECONDS without a
# try, for any account name typed (existing or not: the answer never tells which).
MAX_FAILURES, LOCK_SECONDS = 5, 15 * 60
SETUP_LINK_SECONDS = 72 * 3600  # a one-time link to set a password
LOGIN_STEP_SECONDS = 10 * 60  # between the password and the second factor


def account(username: str, unit_code: str, domain: str) -> str:
    """A person's account: `<user>@<unit account>`, the unit account being
    `<unit code>@<province domain>` (R-JOIN-1)."""
    return f"{username}@{unit_code}@{domain}"


@dataclass(frozen=True)
class AccountName:
    username: str
    unit: str


def parse_account(text: str, domain: str) -> AccountName | None:
    """What a person typed: `user@<unit code>@<domain>` or `user@<unit code>`. None when it
    cannot be an account (the login then answers as for a wrong password)."""
    username, at, rest = text.strip().partition("@")
    if not at or not _USERNAME.match(username.lower()):
        return None
    unit, at, typed_domain = rest.partition("@")
    if at and typed_domain.lower() != domain.lower():
        return None
    if not unit or len(unit) > 40 or any(c.isspace() or c == "@" for c in unit):
        return None
    return AccountName(username.lower(), unit)


def valid_username(username: str) -> bool:
    return bool(_USERNAME.match(username))


def needs_second_factor(roles: list[str] | tuple[str, ...] | frozenset[str]) -> bool:
    """TOTP is required of anyone who administers something; optional for members."""
    return bool(ADMIN_ROLES & set(roles))


def password_problem(password: str, username: str) -> str | None:
    """Why a new password is refused, in Vietnamese (shown on the page), or None."""
    if len(password) < PASSWORD_MIN:
        return f"Mật khẩu cần ít nhất {PASSWORD_MIN} ký tự."
    if len(password) > PASSWORD_MAX:
        return f"Mật khẩu dài tối đa {PASSWORD_MAX} ký tự."
    if username and username.lower() in password.lower():
        return "Mật khẩu không được chứa tên đăng nhập."
    if len(set(password)) < 4:
        return "Mật khẩu quá đơn giản."
    return None


@dataclass(frozen=True)
class Failures:
    """Consecutive failed logins of one typed account name."""

    count: int = 0
    locked_until: int = 0

    def locked(self, now: int) -> bool:
        return now < self.locked_until

    def after_failure(self, now: int) -> Failures:
        count = self.count + 1
        if count >= MAX_FAILURES:
            return Failures(0, now + LOCK_SECONDS)
        return Failures(count, self.locked_until)


def allowed_roles(roles: list[str], *, operator_unit: bool) -> str | None:
    """Why these roles cannot be given, or None."""
    if not roles:
        return "A person needs at least one role."
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        return f"Unknown role(s): {', '.join(unknown)}; roles are {', '.join(ROLES)}."
    if OPERATOR in roles and not operator_unit:
        return "Only people of an operator unit (the IT department) can be operators."
    return None
