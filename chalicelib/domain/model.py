"""The base of every wire model: built on first use, not at import.

Building a pydantic model's validator is most of what importing the hub costs; a Lambda
cold start then pays for every model of every route while one request needs a handful.
Deferred, each model is built the first time it validates or renders (R-PROP-5)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
