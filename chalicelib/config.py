"""Settings of the hub: the only module that reads the environment.

Every adapter takes its endpoint from here, so one code path serves AWS, an on-prem
S3-compatible stack, the single-machine host and the tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import ConfigDict, Field, SecretStr, field_validator

from chalicelib.domain.calendar import parse_holiday_setting
from chalicelib.domain.model import Model
from chalicelib.domain.outbound import Network, parse_networks

MiB = 1024 * 1024


class Settings(Model):
    """Values come from `LGSP_*` environment variables (see `from_env`).

    Secret settings are `SecretStr`: a repr, a dump or JSON of the settings shows
    `**********`, never the value; an adapter that needs one takes it with `reveal`.
    The master keys are not settings: `master_key_secret` / `master_key_file` say where
    the keyring is (`chalicelib/bootstrap.py` `keyring_store`).
    """

    model_config = ConfigDict(frozen=True)

    table_backend: Literal["dynamodb", "sqlite", "postgres"] = "dynamodb"
    table_name: str = "lgsp"
    sqlite_path: str = "var/table.sqlite3"
    postgres_dsn: SecretStr | None = None  # libpq URI or key=value string (a password in it)
    postgres_pool_size: int = Field(default=10, ge=1, le=500)  # connections per process
    dynamodb_endpoint: str | None = None

    bucket: str = "lgsp-exchange"
    s3_endpoint: str | None = None
    s3_region: str = "ap-southeast-1"
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_path_style: bool = False

    aws_region: str = "ap-southeast-1"
    topic_arn: str | None = Field(default=None, description="SNS topic of events; unset: "
                                                          "in-process fan-out")
    sns_endpoint: str | None = None
    master_key_secret: str | None = Field(
        default=None, description="AWS: id or ARN of the Secrets Manager secret holding the "
                                  "master keyring that seals secrets at rest (the template's)")
    master_key_file: str | None = Field(
        default=None, description="On-prem: a JSON keyring file (mode 0600, owned by the "
                                  "hub's user) holding the master keys")
    master_key: SecretStr | None = Field(
        default=None, description="Tests and development only: one master key (base64 of "
                                  "32 bytes), which cannot be rotated in place")

    public_path_prefix: str = Field(
        default="", description="Path the API is published under (e.g. '/prod'), which clients "
                                "include in the signed target URI")
    default_scheme: Literal["http", "https"] = "https"
    clock_skew_seconds: int = 300
    auth_cache_seconds: int = Field(
        default=5, ge=0, le=60, description="A process keeps what authenticating a call "
        "reads (key, unit, app) and which units have a receiving app this long: a "
        "revocation elsewhere takes effect within it (0: read on every call)")

    single_upload_max_bytes: int = 16 * MiB
    min_part_bytes: int = 5 * MiB
    max_content_bytes: int = 5 * 1024 * MiB
    upload_url_seconds: int = 3600
    fetch_url_seconds: int = 300
    idempotency_seconds: int = 24 * 3600
    max_destinations: int = Field(
        default=2000, ge=1, le=10000, description="Most destinations of one message once "
        "groups are expanded (a province's broadcast to every commune fits)")

    operator_units: str = Field(
        default="", description="Comma-separated unit codes whose apps act as operators "
                                "(the province's IT department), besides the unit the "
                                "deployment's bootstrap flagged in the table")
    session_seconds: int = Field(default=900, ge=60, le=900,
                                 description="Lifetime of brokered session tokens (R-AUTH-2)")
    key_overlap_seconds: int = Field(default=7 * 24 * 3600, ge=0,
                                     description="How long a rotated-out key stays valid")

    ws_endpoint: str | None = Field(
        default=None, description="Management API endpoint of the WebSocket gateway this "
                                  "process serves (unset: https://{domain}/{stage} of the event)")
    ws_access_key: str | None = Field(default=None, description="Credentials for a local "
                                      "management API (unset: the function's own role)")
    ws_secret_key: SecretStr | None = None
    ws_public_url: str | None = Field(
        default=None, description="WebSocket URL advertised to clients in /v1/health")
    ws_path: str = Field(default="", description="Path of the WebSocket URL clients sign "
                                                  "(unset: '/{stage}')")
    ws_ticket_seconds: int = Field(default=60, ge=10, le=300,
                                   description="Lifetime of a one-time WebSocket ticket")
    heartbeat_seconds: int = Field(default=60, ge=5, description="How often connected apps "
                                                                  "send a heartbeat")
    presence_timeout_seconds: int = Field(
        default=180, ge=10, description="A connection silent this long is dropped (offline)")
    presence_history_days: int = Field(default=400, ge=1,
                                       description="How long connect/disconnect history is kept")
    offline_limit_seconds: int = Field(
        default=2 * 3600, ge=60, description="Default for how long a destination may stay "
                                             "offline with messages waiting before the "
                                             "source is warned (R-PROP-9)")
    abandon_after_seconds: int = Field(
        default=24 * 3600, ge=600, description="A message whose content never arrived is "
                                               "abandoned (and its upload purged) after this")
    public_url: str | None = Field(
        default=None, pattern=r"^https?://[^/\s]+(/[^\s]*)?[^/\s]$",
        description="The hub's public base URL (e.g. https://lgsp.bacgiang.gov.vn); the "
                    "single sign-on's issuer is <public_url>/sso. Unset: taken from each "
                    "request's Host (development only)")
    sso_allow_http_backchannel: bool = Field(
        default=False, description="Allow http:// back-channel logout URIs (an on-prem "
                                   "network without TLS inside); https only otherwise")
    federation_allow_http: bool = Field(
        default=False, description="Allow http:// base and JWKS URLs of peer hubs (a lab or "
                                   "an on-prem test network); https only otherwise")
    webhook_allow_http: bool = Field(
        default=False, description="Allow http:// webhook endpoints (a lab, the e2e's local "
                                   "receiver); https only otherwise")
    webhook_allow_private: str = Field(
        default="", description="Comma-separated CIDR ranges of the on-prem network that "
                                "webhooks (and other calls to given URLs) may reach though "
                                "not public, e.g. 10.20.0.0/16; unset: public addresses only")
    webhook_first_retry_seconds: int = Field(
        default=30, ge=1, le=3600, description="A failed webhook delivery is tried again "
        "after this, then after twice as long each time (up to an hour), with jitter")
    webhook_retry_seconds: int = Field(
        default=86400, ge=5, description="A webhook delivery is tried for this long after "
                                         "its event, then kept as a dead letter")
    webhook_disable_after_seconds: int = Field(
        default=86400, ge=5, description="A webhook endpoint that failed every delivery for "
                                         "this long is disabled and its unit told")
    webhook_timeout_seconds: float = Field(
        default=10, gt=0, le=30, description="Time a webhook endpoint has to connect and "
                                             "to answer each read")
    proxy_timeout_seconds: int = Field(
        default=30, ge=1, le=300, description="The catalogue's proxy: how long the "
        "hub waits for a service to connect and for each read of its answer (504 after)")
    proxy_rate_per_minute: int = Field(
        default=600, ge=1, le=1_000_000, description="The catalogue's proxy: calls per "
        "minute a grant allows when its owner set no rate of its own")
    province_domain: str = Field(default="lgsp.gov.vn", description="Units' accounts are "
                                 "<code>@<province_domain>")
    public_holidays: str = Field(
        default="", description="The operator's changes to Vietnam's calendar of days off "
                                "(the holidays package), comma-separated: YYYY-MM-DD a day "
                                "off, +YYYY-MM-DD a weekend day worked (a swap), "
                                "-YYYY-MM-DD an ordinary day (docs/joining.md)")
    request_due_working_days: int = Field(default=5, ge=1, description="Working days the "
                                          "operator has to answer a complete request")
    clock_offset_file: str | None = Field(
        default=None, description="Tests and drills only: a file holding seconds to add to "
                                  "the clock")
    sweep_max_items: int = Field(default=500, ge=1, description="Due items one sweep handles")

    version: str = "0.1.0"

    @field_validator("public_holidays")
    @classmethod
    def _holidays_parse(cls, value: str) -> str:
        """A bad day in `LGSP_PUBLIC_HOLIDAYS` stops the start, naming it, rather than
        the first request that needs a due date."""
        parse_holiday_setting(value)
        return value

    @field_validator("webhook_allow_private")
    @classmethod
    def _private_ranges_parse(cls, value: str) -> str:
        """A bad range in `LGSP_WEBHOOK_ALLOW_PRIVATE` stops the start, naming it."""
        parse_networks(value)
        return value

    @property
    def webhook_private_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.webhook_allow_private)

    @property
    def websocket_url(self) -> str | None:
        """The URL clients open: as configured, else the local gateway's endpoint with its
        scheme mapped (http → ws, https → wss)."""
        if self.ws_public_url:
            return self.ws_public_url
        return "ws" + self.ws_endpoint[4:] if self.ws_endpoint else None

    @property
    def operators(self) -> frozenset[str]:
        return frozenset(u.strip() for u in self.operator_units.split(",") if u.strip())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read `LGSP_<FIELD>` for each field (e.g. `LGSP_S3_ENDPOINT`)."""
        source = os.environ if env is None else env
        values: dict[str, str] = {}
        for name in cls.model_fields:
            raw = source.get(f"LGSP_{name.upper()}")
            if raw is not None and raw != "":
                values[name] = raw
        return cls.model_validate(values)


def reveal(value: SecretStr | None) -> str | None:
    """The plain value of a secret setting, for the adapter that needs it (and nothing
    that prints)."""
    return value.get_secret_value() if value is not None else None


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings, read once on first use (never at import time)."""
    return Settings.from_env()
