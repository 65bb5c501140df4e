"""Wiring: build the ports from the settings, once per process, on first use.

Tests and the single-machine host install their own `Deps` with `install()`; nothing is
built at import time (cold start, and moto must be active before any client exists).
"""

from __future__ import annotations

import threading
from functools import partial

from chalicelib.config import Settings, reveal, settings
from chalicelib.domain.ports import Event, KeyringStore, OutboundPoster, Topic
from chalicelib.services.deps import Deps

_lock = threading.Lock()
_deps: Deps | None = None


def build(cfg: Settings) -> Deps:
    """Real adapters for `cfg`: DynamoDB, SQLite or PostgreSQL, and the S3-compatible
    store."""
    from chalicelib.adapters.objects_s3 import S3ObjectStore, make_s3_client
    from chalicelib.adapters.secretbox import AesGcmSealer
    from chalicelib.adapters.system import OffsetClock, SystemClock, TimeOrderedIds
    from chalicelib.adapters.table_retry import RetryingTable
    from chalicelib.domain.ports import Table

    table: Table
    if cfg.table_backend == "sqlite":
        from chalicelib.adapters.table_sqlite import SqliteTable

        table = SqliteTable(cfg.sqlite_path)
    elif cfg.table_backend == "postgres":
        from chalicelib.adapters.table_postgres import PostgresTable

        dsn = reveal(cfg.postgres_dsn)
        if not dsn:
            raise ValueError("LGSP_TABLE_BACKEND=postgres needs LGSP_POSTGRES_DSN")
        table = PostgresTable(dsn, max_size=cfg.postgres_pool_size)
    else:
        from chalicelib.adapters.table_dynamo import DynamoTable, make_dynamo_client

        client = make_dynamo_client(region=cfg.aws_region, endpoint_url=cfg.dynamodb_endpoint)
        table = RetryingTable(DynamoTable(client, cfg.table_name))
    # Made by the first call that uses the store: an inbox listing never does (P5b).
    s3 = partial(make_s3_client, endpoint_url=cfg.s3_endpoint, region=cfg.s3_region,
                 access_key=cfg.s3_access_key, secret_key=reveal(cfg.s3_secret_key),
                 path_style=cfg.s3_path_style)
    from chalicelib.adapters.ws_management import ManagementApi

    keyring = keyring_store(cfg)
    if cfg.master_key_secret is None:
        keyring.load()  # a missing, unsafe or malformed local keyring stops the start here
    clock = OffsetClock(cfg.clock_offset_file) if cfg.clock_offset_file else SystemClock()
    built = Deps(table=table, objects=S3ObjectStore.on_first_use(s3, cfg.bucket), clock=clock,
                 ids=TimeOrderedIds(), sealer=AesGcmSealer(keyring.load),
                 settings=cfg, topic=_topic(cfg),
                 connections=ManagementApi(region=cfg.aws_region, access_key=cfg.ws_access_key,
                                           secret_key=reveal(cfg.ws_secret_key)),
                 outbound=outbound_for(cfg))
    subscribe_push(built)
    return built


def outbound_for(cfg: Settings) -> OutboundPoster:
    """Calls to URLs somebody gave the hub, under the operator's settings
    (LGSP_WEBHOOK_ALLOW_HTTP, LGSP_WEBHOOK_ALLOW_PRIVATE)."""
    from chalicelib.adapters.safe_http import SafePoster
    return SafePoster(allow_http=cfg.webhook_allow_http,
                      allowed=cfg.webhook_private_networks)


def keyring_store(cfg: Settings) -> KeyringStore:
    """The master keyring's store: the Secrets Manager secret (AWS), the key file
    (on-prem), or the one key of `LGSP_MASTER_KEY` (tests and development). Exactly one
    must be set: two would leave it unclear which keys seal."""
    from chalicelib.adapters import keyring_store as stores

    given = [name for name, value in (("LGSP_MASTER_KEY_SECRET", cfg.master_key_secret),
                                      ("LGSP_MASTER_KEY_FILE", cfg.master_key_file),
                                      ("LGSP_MASTER_KEY", cfg.master_key)) if value]
    if not given:
        raise RuntimeError("no master key: set LGSP_MASTER_KEY_SECRET (AWS), "
                           "LGSP_MASTER_KEY_FILE (on-prem) or, for tests and development "
                           "only, LGSP_MASTER_KEY; the hub cannot open app secrets without it")
    if len(given) > 1:
        raise RuntimeError(f"set only one master key source, not {' and '.join(given)}")
    if cfg.master_key_secret:
        client = stores.make_secretsmanager_client(region=cfg.aws_region)
        return stores.SecretsManagerKeyring(client, cfg.master_key_secret)
    if cfg.master_key_file:
        return stores.KeyringFile(cfg.master_key_file)
    return stores.StaticKeyring(reveal(cfg.master_key) or "")


def subscribe_push(built: Deps) -> None:
    """With the in-process topic, this process fans events out to WebSocket connections
    itself (in the cloud, SNS invokes the `on_event` function instead)."""
    from chalicelib.adapters.topic_local import LocalTopic

    def deliver(event: Event) -> None:
        from chalicelib.services import push  # by the first event, not the first request
        push.deliver(built, event)

    if isinstance(built.topic, LocalTopic):
        built.topic.subscribe(deliver)


def _topic(cfg: Settings) -> Topic:
    """SNS when a topic ARN is configured, else the in-process topic, delivering on its
    own thread as SNS would."""
    if cfg.topic_arn:
        from chalicelib.adapters.topic_sns import SnsTopic, make_sns_client

        return SnsTopic(make_sns_client(region=cfg.aws_region, endpoint_url=cfg.sns_endpoint),
                        cfg.topic_arn)
    from chalicelib.adapters.topic_local import LocalTopic

    return LocalTopic(background=True)


def deps() -> Deps:
    """The process's dependencies, built from the environment on first use."""
    global _deps
    if _deps is None:
        with _lock:
            if _deps is None:
                _deps = build(settings())
    return _deps


def install(value: Deps | None) -> None:
    """Use `value` from now on (None: rebuild from the environment on next use)."""
    global _deps
    with _lock:
        _deps = value
