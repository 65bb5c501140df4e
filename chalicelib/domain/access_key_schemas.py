"""Wire shapes of the key lifecycle routes (`/v1/keys`). Secrets appear only in
`IssuedKey.secret_key`, once, in the answer to a rotation with an HMAC algorithm."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .model import Model
from .schemas import Strict

KeyStatus = Literal["active", "retiring", "expired", "revoked"]


class RotateKeyRequest(Strict):
    algorithm: str | None = Field(
        default=None, max_length=32,
        description="hmac-sha256, rsa-pss-sha512, rsa-v1_5-sha256 (hmac-sha1: legacy apps "
                    "only). Default: the algorithm of the key signing this request.")
    public_key: str | None = Field(
        default=None, min_length=1, max_length=16384,
        description="For RSA: the app's public key as PEM or JWK (never a private key).")


class KeyView(Model):
    key_id: str
    algorithm: str
    status: KeyStatus = Field(description="active; retiring (valid until valid_until); "
                                          "expired (retiring past valid_until); revoked")
    created_at: str
    valid_until: str | None = None
    revoked_at: str | None = None
    last_used_at: str | None = Field(default=None,
                                     description="Recorded at most once per hour.")
    current: bool = Field(default=False, description="The key that signed this request.")


class KeyList(Model):
    items: list[KeyView]


class IssuedKey(Model):
    key: KeyView
    secret_key: str | None = Field(
        default=None, description="HMAC only: the new secret, shown this once.")
    retiring: list[KeyView] = Field(
        default_factory=list, description="The app's other keys, now valid only until "
                                          "their valid_until.")


class AppCredentials(Model):
    """An app's first key pair, shown once when the app is created."""

    unit: str
    app: str
    access_key: str
    algorithm: str
    secret_key: str | None = Field(default=None, description="HMAC only, shown this once: "
                                   "hand it over to the unit; the hub keeps it sealed")
