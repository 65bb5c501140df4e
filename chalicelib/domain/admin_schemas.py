"""Wire shapes of operator actions on apps."""

from __future__ import annotations

from pydantic import ConfigDict

from .model import Model


class LegacyFlag(Model):
    model_config = ConfigDict(extra="forbid")

    legacy: bool


class AppView(Model):
    app: str
    unit: str
    name: str
    status: str
    legacy: bool
