"""Wire shapes of people's accounts (docs/sso.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .model import Model
from .people import USERNAME
from .schemas import Strict

Role = Literal["operator", "unit_admin", "sso_admin", "member"]


class CreatePerson(Strict):
    username: str = Field(pattern=USERNAME, description="a-z, 0-9, '.', '_', '-'; the "
                          "account is <username>@<unit code>@<province domain>")
    name: str = Field(min_length=1, max_length=120, description="Họ tên")
    email: str | None = Field(default=None, max_length=254,
                              pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    roles: list[Role] = Field(default_factory=lambda: list[Role](["member"]), min_length=1,
                             max_length=4)


class ChangePerson(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    email: str | None = Field(default=None, max_length=254,
                              pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=4)
    status: Literal["active", "disabled"] | None = Field(
        default=None, description="disabled: every SSO session and token of the person "
                                  "ends at once")


class ResetPerson(Strict):
    second_factor: bool = Field(default=False, description="Also forget the enrolled TOTP "
                                "(lost phone): the person enrols again at the next login")


class PersonView(Model):
    account: str
    username: str
    unit: str
    name: str
    email: str | None = None
    roles: list[str]
    status: str
    second_factor: bool = Field(description="A TOTP authenticator is enrolled")
    password_set: bool
    created_at: str
    created_by: str | None = None


class PeopleList(Model):
    items: list[PersonView]
    next_cursor: str | None = None


class SetupLink(Model):
    person: PersonView
    link: str = Field(description="One-time link where the person sets a password; hand it "
                                  "over in person or by the unit's own channel. Shown once.")
    expires_at: str
