"""Secret settings never show: not in a repr, a str, a dump or JSON (R-COMP-4: secrets are
never logged). The values are still there for the adapters that need them."""

from __future__ import annotations

import json

from chalicelib.config import Settings

SECRETS = {"LGSP_MASTER_KEY": "bWFzdGVyLWtleS1tYXN0ZXIta2V5LW1hc3Rlci1rZXk=",
           "LGSP_S3_SECRET_KEY": "s3-secret-value-123", "LGSP_WS_SECRET_KEY": "ws-secret-456"}


def test_no_secret_setting_is_shown_by_repr_str_or_dumps() -> None:
    cfg = Settings.from_env({**SECRETS, "LGSP_S3_ACCESS_KEY": "LGSPACCESS"})
    shown = [repr(cfg), str(cfg), cfg.model_dump_json(), json.dumps(cfg.model_dump(mode="json")),
             repr(cfg.model_dump())]
    for text in shown:
        for value in SECRETS.values():
            assert value not in text
    assert "LGSPACCESS" in repr(cfg)  # an access key id is not a secret


def test_the_adapters_still_get_the_values() -> None:
    cfg = Settings.from_env(SECRETS)
    assert cfg.s3_secret_key is not None and cfg.ws_secret_key is not None
    assert cfg.s3_secret_key.get_secret_value() == SECRETS["LGSP_S3_SECRET_KEY"]
    assert cfg.ws_secret_key.get_secret_value() == SECRETS["LGSP_WS_SECRET_KEY"]
    assert cfg.master_key is not None
    assert cfg.master_key.get_secret_value() == SECRETS["LGSP_MASTER_KEY"]
