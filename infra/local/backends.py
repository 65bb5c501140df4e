"""The embedded backends of the single-machine host, persistent under one folder.

- `var/seaweed/`: SeaweedFS (S3 API on loopback, S3 credentials required).
- `var/table.sqlite3`: the table (SQLite behind the same port as DynamoDB).
- `var/master.key.json` (the master keyring, `LGSP_MASTER_KEY_FILE`),
  `var/s3-credentials.json`, `var/ws-credentials.json` (the key of the WebSocket
  management API): generated once, mode 0600.
- `var/demo-credentials.json`: in demo mode (`LGSP_MODE=demo`, the default), two demo
  units with one app each and a demo operator, created on first start (`infra/local/demo.py`);
  in production mode nothing is seeded and demo data is refused.

Several host processes may share one `var/` (R-PROP-6, `docs/deploy.md`): the first starts
SeaweedFS, the others attach to it (`LGSP_S3_EMBEDDED=false`) and share its secrets and
SQLite file; each serves the WebSocket connections it holds on its own port.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib import bootstrap
from chalicelib.adapters.keyring_store import KeyringFile
from chalicelib.config import Settings, reveal
from chalicelib.domain.master_keys import Keyring
from chalicelib.services.deps import Deps
from infra.local import demo
from infra.local.http_connection import HttpLimits, MiB
from infra.local.refusals import StartRefused
from infra.local.seaweed import SeaweedServer, StoreInUseError


class HostSettings(BaseModel):
    """Settings of the host process (`LGSP_PORT`, `LGSP_VAR_DIR`, `LGSP_S3_PORT`,
    `LGSP_SWEEP_SECONDS`: how often the sweeper runs, as the schedule does on AWS;
    `LGSP_SWEEP_LEASE_SECONDS`: how long the lease that lets one host process sweep lasts
    unless renewed, `infra/local/sweeping.py`).

    `LGSP_MODE`: `demo` (default) seeds demo units and an operator whose secrets are in
    `var/demo-credentials.json`; `production` seeds nothing and refuses demo data.

    `LGSP_S3_EMBEDDED=false` attaches to the S3-compatible store already answering on
    `LGSP_S3_PORT` (or at `LGSP_S3_ENDPOINT`) instead of starting SeaweedFS, and leaves it
    running on stop: how a second host process shares the first one's backends.

    `LGSP_HTTP_*` and `LGSP_WS_MAX_CONNECTIONS` bound what clients may take of the HTTP
    edge (`HttpLimits`, docs/deploy.md).
    """

    model_config = ConfigDict(frozen=True)

    port: int = 8000
    var_dir: Path = Path("var")
    s3_port: int = 8333
    s3_embedded: bool = True
    bucket: str = "lgsp-exchange"
    sweep_seconds: float = 60
    sweep_lease_seconds: int = Field(default=30, ge=3)
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    mode: Literal["demo", "production"] = "demo"
    http_max_body_bytes: int = Field(default=10 * MiB, ge=1024)
    http_workers: int = Field(default=32, ge=1, le=1024)
    http_queue: int = Field(default=256, ge=0)
    http_header_timeout: float = Field(default=10, gt=0)
    http_body_timeout: float = Field(default=60, gt=0)
    http_idle_timeout: float = Field(default=60, gt=0)
    http_max_idle: int = Field(default=1000, ge=1)
    ws_max_connections: int = Field(default=2000, ge=1)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HostSettings:
        values = {name: env[f"LGSP_{name.upper()}"] for name in cls.model_fields
                  if env.get(f"LGSP_{name.upper()}")}
        return cls.model_validate(values)

    def http_limits(self) -> HttpLimits:
        return HttpLimits(
            max_body_bytes=self.http_max_body_bytes, workers=self.http_workers,
            queue=self.http_queue, header_timeout=self.http_header_timeout,
            body_timeout=self.http_body_timeout, idle_timeout=self.http_idle_timeout,
            max_idle=self.http_max_idle, max_websockets=self.ws_max_connections)


def _secret_file(path: Path, make: dict[str, str]) -> dict[str, str]:
    """Read a small JSON secret file, creating it (0600) with `make` the first time."""
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text())
        return data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(make, out)
    return make


def _keyring_file(path: Path) -> Path:
    """The host's master keyring, created (0600) on first start. A file of the shape
    before keyrings (`{"master_key": ...}`) becomes a keyring of that one key: secrets it
    sealed are `v1` envelopes, which open under any key of the ring."""
    if not path.exists():
        first = "k1"
        KeyringFile.create(path, Keyring(first, {first: base64.b64encode(
            secrets.token_bytes(32)).decode()}))
        return path
    store = KeyringFile(path)
    store.check()
    old = json.loads(path.read_text())
    if isinstance(old, dict) and set(old) == {"master_key"}:
        store.save(Keyring("k0", {"k0": old["master_key"]}))
    return path


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
        keyring = _keyring_file(self.var / "master.key.json")
        s3 = _secret_file(self.var / "s3-credentials.json",
                          {"access_key": "LGSP" + secrets.token_hex(8).upper(),
                           "secret_key": secrets.token_urlsafe(30)})
        ws = self.ws_environment()
        embedded = {
            "table_backend": "sqlite", "sqlite_path": str(self.var / "table.sqlite3"),
            "bucket": self.cfg.bucket, "s3_endpoint": f"http://127.0.0.1:{self.cfg.s3_port}",
            "s3_region": "us-east-1", "s3_access_key": s3["access_key"],
            "s3_secret_key": s3["secret_key"], "s3_path_style": True,
            "master_key_file": str(keyring), "default_scheme": "http",
            "ws_endpoint": ws["LGSP_WS_ENDPOINT"],
            "ws_access_key": ws["LGSP_WS_ACCESS_KEY"], "ws_secret_key": ws["LGSP_WS_SECRET_KEY"]}
        if self.demo:  # a demo var/ seeded before the bootstrap existed has no operator flag
            embedded["operator_units"] = demo.OPERATOR_UNIT[0]
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

    @property
    def demo(self) -> bool:
        return self.cfg.mode == demo.DEMO

    def prepare_var(self) -> None:
        self.var.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.var.chmod(0o700)  # secrets, table and exchange spaces: the operator's only

    def start(self) -> Deps:
        self.prepare_var()
        with self._starting():
            cfg = self.settings()
            os.environ.update(self.ws_environment())  # the host's management API checks them
            s3_secret = reveal(cfg.s3_secret_key)
            assert cfg.s3_access_key and s3_secret
            try:
                deps = bootstrap.build(cfg)
                if not self.demo:  # before anything starts
                    demo.refuse_demo_data(deps, self.demo_credentials_path)
                if self.cfg.s3_embedded:
                    self._start_store(cfg)
                self._ensure_bucket(cfg)
                bootstrap.install(deps)
                self.deps = deps
                self.prepare_data(deps)
            except BaseException:
                self.stop()
                raise
        return deps

    def prepare_data(self, deps: Deps) -> None:
        """Demo mode: seed the demo data once. Production: refuse demo data, seed nothing."""
        if self.demo:
            demo.seed(deps, self.demo_credentials_path, f"http://127.0.0.1:{self.cfg.port}")
        else:
            demo.refuse_demo_data(deps, self.demo_credentials_path)

    def announcement(self, deps: Deps) -> str | None:
        """What the host says loudly at start: demo mode, or a production hub's missing
        operator."""
        if self.demo:
            return demo.announcement(self.demo_credentials_path)
        return demo.production_notice(deps)

    @contextmanager
    def _starting(self) -> Iterator[None]:
        """Hold `var/.start.lock` while secrets are created, SeaweedFS starts and demo
        units are seeded: a second host started at the same moment waits, then finds the
        secrets, the store and `demo-credentials.json` complete instead of racing to make
        them (the lock goes with the process if it dies)."""
        fd = os.open(self.var / ".start.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _start_store(self, cfg: Settings) -> None:
        """Start SeaweedFS on `var/seaweed/`, which it claims for as long as it runs: a
        second host started without `LGSP_S3_EMBEDDED=false` stops here instead (two
        SeaweedFS processes on one data folder would corrupt it). A store left running by
        a host that died is stopped first (`seaweed`)."""
        secret = reveal(cfg.s3_secret_key)
        assert cfg.s3_access_key and secret
        folder = self.var / "seaweed"
        folder.mkdir(mode=0o700, exist_ok=True)
        store = SeaweedServer(folder, s3_port=self.cfg.s3_port,
                              access_key=cfg.s3_access_key, secret_key=secret)
        try:
            store.start()
        except StoreInUseError:
            raise StartRefused(f"another host already runs SeaweedFS on {folder}: start this "
                               f"one with LGSP_S3_EMBEDDED=false to attach to it") from None
        self.seaweed = store

    def _ensure_bucket(self, cfg: Settings) -> None:
        """Create the bucket if needed; an attached host whose store does not answer stops
        with a message naming it rather than a retrying client's traceback."""
        from botocore.exceptions import BotoCoreError, ClientError

        from chalicelib.adapters.objects_s3 import ensure_bucket, make_s3_client

        client = make_s3_client(endpoint_url=cfg.s3_endpoint, region=cfg.s3_region,
                                access_key=cfg.s3_access_key,
                                secret_key=reveal(cfg.s3_secret_key),
                                path_style=True)
        try:
            ensure_bucket(client, cfg.bucket)
        except (BotoCoreError, ClientError) as exc:
            if self.cfg.s3_embedded:
                raise
            raise StartRefused(f"no S3-compatible store answers at {cfg.s3_endpoint} with the "
                               f"credentials of {self.var / 's3-credentials.json'}: start the "
                               f"first host (LGSP_S3_EMBEDDED=true) or set LGSP_S3_ENDPOINT "
                               f"({exc})") from exc

    def stop(self) -> None:
        """Unwire the hub; stop SeaweedFS only if this host started it (an attached host
        leaves the first host's store running)."""
        bootstrap.install(None)
        if self.seaweed is not None:
            self.seaweed.stop()  # and gives up var/seaweed/ once it has exited
            self.seaweed = None
