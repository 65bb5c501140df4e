"""The deployment's key for the SSO pages' CSRF tokens: random, made on first use, kept
sealed under the master key in the table (every host of the hub shares it)."""

from __future__ import annotations

import base64
import contextlib
import secrets

from chalicelib.domain import keys
from chalicelib.domain.errors import ConditionFailedError
from chalicelib.domain.ports import Condition
from chalicelib.services.deps import Deps

_CONTEXT = "sso-csrf"


def csrf_key(deps: Deps) -> bytes:
    item = deps.table.get(*keys.SSO_SECRET)
    if item is None:
        pk, sk = keys.SSO_SECRET
        fresh = base64.b64encode(secrets.token_bytes(32)).decode()
        with contextlib.suppress(ConditionFailedError):  # another host's came first
            deps.table.put({"pk": pk, "sk": sk, "kind": "sso_secret",
                            "sealed": deps.sealer.seal(fresh.encode(), _CONTEXT)},
                           Condition(exists=False))
        item = deps.table.get(*keys.SSO_SECRET)
        assert item is not None
    return base64.b64decode(deps.sealer.open(item["sealed"], _CONTEXT))
