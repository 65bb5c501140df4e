"""Wire shapes of operator actions on apps."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LegacyFlag(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legacy: bool


class AppView(BaseModel):
    app: str
    unit: str
    name: str
    status: str
    legacy: bool
