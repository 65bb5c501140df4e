"""Wire shapes of the unit registry (R-JOIN-1, R-JOIN-5)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .access_key_schemas import AppCredentials, KeyView
from .directory import UNIT_STATUSES  # noqa: F401 (the registry's names for them)
from .model import Model
from .schemas import Strict


class Contact(Strict):
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=300)


class CreateUnit(Strict):
    code: str = Field(description="DDD.CC.BB.Lxx (QCVN 102:2016/BTTTT), e.g. 000.00.31.H30; "
                                  "a bad code is 400 invalid_unit_code naming the part",
                      examples=["000.00.31.H30"])
    name: str = Field(min_length=1, max_length=300)
    short_name: str | None = Field(default=None, min_length=1, max_length=120)
    contact: Contact = Field(default_factory=Contact)


class ChangeUnit(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    short_name: str | None = Field(default=None, min_length=1, max_length=120)
    contact: Contact | None = None
    status: Literal["active", "suspended"] | None = Field(
        default=None, description="Dissolving is a re-organisation (POST "
                                  "/v1/admin/reorganisations)")


class UnitView(Model):
    code: str
    name: str
    short_name: str
    level: int
    parent: str | None
    status: str
    account: str
    contact: dict[str, str]
    successors: list[str]
    created_at: str
    changed_at: str


class UnitHistoryLine(Model):
    at: str
    event: str
    actor: str | None
    detail: dict[str, object]


class UnitHistory(Model):
    code: str
    items: list[UnitHistoryLine]
    next_cursor: str | None = None


class ImportRequest(Strict):
    format: Literal["csv", "json"]
    data: str = Field(max_length=20 * 1024 * 1024, description="The file's UTF-8 text")
    dry_run: bool = True


class ReorgList(Model):
    items: list[object]
    next_cursor: str | None = None


class UnitApp(Model):
    app: str
    unit: str
    name: str
    role: str
    status: str
    legacy: bool
    created_at: str
    keys: list[KeyView]


class UnitApps(Model):
    unit: str
    items: list[UnitApp]


class CreateUnitApp(Strict):
    """An operator creates an app of a unit directly (`POST /v1/admin/units/{code}/apps`)."""

    name: str = Field(min_length=1, max_length=200,
                      description="What the app is, e.g. 'Phần mềm quản lý văn bản'")
    algorithm: str = Field(
        default="hmac-sha256", max_length=32,
        description="hmac-sha256 (the hub generates the secret), rsa-pss-sha512 or "
                    "rsa-v1_5-sha256 (with public_key), hmac-sha1 (legacy apps only)")
    public_key: str | None = Field(
        default=None, min_length=1, max_length=16384,
        description="For RSA: the app's public key as PEM or JWK (never a private key)")
    role: Literal["app", "unit_admin"] = Field(
        default="app", description="app: exchanges messages; unit_admin: also manages its "
                                   "unit's apps, keys and requests (R-OPS-3)")
    legacy: bool = Field(default=False, description="Allows hmac-sha1 keys (weak; for old "
                                                    "systems the regulation covers)")


class CreatedUnitApp(Model):
    app: UnitApp
    credentials: AppCredentials
    note: str


class RowError(Model):
    row: int
    code: str | None
    field: str
    error: str
    message: str


class ImportReport(Model):
    dry_run: bool
    rows: int
    valid: bool
    imported: int
    errors: list[RowError]
