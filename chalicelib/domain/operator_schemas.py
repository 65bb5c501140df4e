"""What the deployment's bootstrap takes and gives (R-JOIN-2: the IT department issues
the keys, so it needs the first key of all)."""

from __future__ import annotations

from pydantic import Field

from .model import Model
from .schemas import Strict

DEFAULT_APP_NAME = "Vận hành LGSP"


class BootstrapOperator(Strict):
    unit: str = Field(min_length=3, max_length=32, description="The IT department's unit "
                      "code, DDD.CC.BB.Lxx; registered if it does not exist yet")
    name: str = Field(min_length=1, max_length=300, description="The unit's name")
    app_name: str = Field(default=DEFAULT_APP_NAME, min_length=1, max_length=200,
                          description="The name of the first operator app")


class OperatorCredentials(Model):
    """Shown once: the hub keeps only the sealed secret."""

    unit: str
    app: str
    access_key: str
    secret_key: str
    algorithm: str
