"""The embedded backends of the single-machine host, persistent under one folder.

- `var/seaweed/`: SeaweedFS (S3 API on loopback, S3 credentials required).
- `var/table.sqlite3`: the table (SQLite behind the same port as DynamoDB).
- `var/master.key`, `var/s3-credentials.json`, `var/ws-credentials.json` (the key of the
  WebSocket management API): generated once, mode 0600.
- `var/demo-credentials.json`: two demo units with one app each, created on first start.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from chalicelib import bootstrap
from chalicelib.config import Settings
from chalicelib.services import registry
from chalicelib.services.deps import Deps
from infra.local.seaweed import SeaweedServer

DEMO_UNITS = [
    ("000.00.31.H99", "Sở Tài chính (đơn vị thử nghiệm)"),
    ("000.00.32.H99", "Sở Nội vụ (đơn vị thử nghiệm)"),
]
# The province's IT department: its apps act as operators (grants for brokered calls).
OPERATOR_UNIT = ("000.00.30.H99", "Sở Thông tin và Truyền thông (vận hành, thử nghiệm)")


class HostSettings(BaseModel):
    """Settings of the host process (`LGSP_PORT`, `LGSP_VAR_DIR`, `LGSP_S3_PORT`,
    `LGSP_SWEEP_SECONDS`: how often the sweeper runs, as the schedule does on AWS)."""

    model_config = ConfigDict(frozen=True)

    port: int = 8000
    var_dir: Path = Path("var")
    s3_port: int = 8333
    bucket: str = "lgsp-exchange"
    sweep_seconds: float = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HostSettings:
        values = {name: env[f"LGSP_{name.upper()}"] for name in cls.model_fields
                  if env.get(f"LGSP_{name.upper()}")}
        return cls.model_validate(values)


def _secret_file(path: Path, make: dict[str, str]) -> dict[str, str]:
    """Read a small JSON secret file, creating it (0600) with `make` the first time."""
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text())
        return data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(make, out)
    return make


class Backends:
    """Start/stop SeaweedFS, open the table, wire the hub, seed demo units once."""

    def __init__(self, cfg: HostSettings) -> None:
        self.cfg = cfg
        self.var = cfg.var_dir.resolve()
        self.seaweed: SeaweedServer | None = None
        self.deps: Deps | None = None

    @property
    def demo_credentials_path(self) -> Path:
        return self.var / "demo-credentials.json"

    def settings(self) -> Settings:
        keys = _secret_file(self.var / "master.key.json",
                            {"master_key": base64.b64encode(secrets.token_bytes(32)).decode()})
        s3 = _secret_file(self.var / "s3-credentials.json",
                          {"access_key": "LGSP" + secrets.token_hex(8).upper(),
                           "secret_key": secrets.token_urlsafe(30)})
        ws = self.ws_environment()
        embedded = {
            "table_backend": "sqlite", "sqlite_path": str(self.var / "table.sqlite3"),
            "bucket": self.cfg.bucket, "s3_endpoint": f"http://127.0.0.1:{self.cfg.s3_port}",
            "s3_region": "us-east-1", "s3_access_key": s3["access_key"],
            "s3_secret_key": s3["secret_key"], "s3_path_style": True,
            "master_key": keys["master_key"], "default_scheme": "http",
            "operator_units": OPERATOR_UNIT[0], "ws_endpoint": ws["LGSP_WS_ENDPOINT"],
            "ws_access_key": ws["LGSP_WS_ACCESS_KEY"], "ws_secret_key": ws["LGSP_WS_SECRET_KEY"]}
        # Any other LGSP_* setting of the environment applies too (limits, timeouts, ...).
        return Settings.model_validate(
            {**embedded, **Settings.from_env().model_dump(exclude_unset=True)})

    def ws_environment(self) -> dict[str, str]:
        """Where and with which key the app reaches this host's WebSocket management API
        (`LGSP_WS_*`); the key is generated once, like the S3 credentials."""
        ws = _secret_file(self.var / "ws-credentials.json",
                          {"access_key": "LGSPWS" + secrets.token_hex(8).upper(),
                           "secret_key": secrets.token_urlsafe(30)})
        return {"LGSP_WS_ENDPOINT": f"http://127.0.0.1:{self.cfg.port}/ws",
                "LGSP_WS_ACCESS_KEY": ws["access_key"], "LGSP_WS_SECRET_KEY": ws["secret_key"]}

    def start(self) -> Deps:
        self.var.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.var.chmod(0o700)  # secrets, table and exchange spaces: the operator's only
        cfg = self.settings()
        os.environ.update(self.ws_environment())  # the host's management API checks them
        assert cfg.s3_access_key and cfg.s3_secret_key
        self.seaweed = SeaweedServer(self.var / "seaweed", s3_port=self.cfg.s3_port,
                                     access_key=cfg.s3_access_key,
                                     secret_key=cfg.s3_secret_key)
        self.seaweed.start()
        deps = bootstrap.build(cfg)
        from chalicelib.adapters.objects_s3 import ensure_bucket, make_s3_client

        ensure_bucket(make_s3_client(endpoint_url=cfg.s3_endpoint, region=cfg.s3_region,
                                     access_key=cfg.s3_access_key,
                                     secret_key=cfg.s3_secret_key, path_style=True), cfg.bucket)
        bootstrap.install(deps)
        self.deps = deps
        self._seed_demo(deps)
        return deps

    def stop(self) -> None:
        bootstrap.install(None)
        if self.seaweed is not None:
            self.seaweed.stop()
            self.seaweed = None

    def _seed_demo(self, deps: Deps) -> None:
        """Two demo units with one app each; credentials written once, 0600."""
        if self.demo_credentials_path.exists():
            return
        apps = []
        for code, name in [*DEMO_UNITS, OPERATOR_UNIT]:
            if registry.get_unit(deps, code) is None:
                registry.create_unit(deps, code, name)
            issued = registry.create_app(deps, code, f"Ứng dụng thử nghiệm {code}")
            apps.append({"unit": code, "name": name, "app": issued.app,
                         "access_key": issued.access_key, "secret_key": issued.secret_key,
                         "endpoint": f"http://127.0.0.1:{self.cfg.port}"})
        _secret_file(self.demo_credentials_path, {"apps": apps})  # type: ignore[dict-item]
