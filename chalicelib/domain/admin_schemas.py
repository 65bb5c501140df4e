"""Wire shapes of operator actions on apps."""

from __future__ import annotations

from .model import Model
from .schemas import Strict


class LegacyFlag(Strict):
    legacy: bool


class AppView(Model):
    app: str
    unit: str
    name: str
    status: str
    legacy: bool
