"""Key builders of the one table (see docs/data-model.md for every access pattern).

Each item says what it is by its `pk` prefix. Every read the API needs is a get of one
item or a query of one partition: nothing here needs a scan.
"""

from __future__ import annotations

from .catalogue import (  # the service catalogue's keys (keys/catalogue.py), re-exported
    CATALOGUE as CATALOGUE,
    access_listing as access_listing,
    access_pair as access_pair,
    access_request as access_request,
    catalogue_document as catalogue_document,
    catalogue_document_part as catalogue_document_part,
    catalogue_entry as catalogue_entry,
    consumer_access as consumer_access,
    provider_access as provider_access,
)
from .console import (  # the console's keys (keys/console.py), re-exported
    console_login as console_login,
    console_session as console_session,
)
from .edxml import (  # edXML documents' keys (keys/edxml.py), re-exported
    edxml_document as edxml_document,
)
from .federation import (  # peer hubs' and routes' keys (keys/federation.py), re-exported
    PEERS as PEERS,
    ROUTES as ROUTES,
    peer as peer,
    route as route,
)
from .logs import (  # the audit and error logs' keys (keys/logs.py), re-exported
    audit_line as audit_line,
    audit_partition as audit_partition,
    error_line as error_line,
    error_log_partition as error_log_partition,
    error_rate as error_rate,
    unit_audit_line as unit_audit_line,
    unit_audit_partition as unit_audit_partition,
)
from .notices import (  # maintenance notices' keys (keys/notices.py), re-exported
    CURRENT_NOTICES as CURRENT_NOTICES,
    NOTICES as NOTICES,
    current_notice as current_notice,
    notice as notice,
    notice_end as notice_end,
)
from .proxy import (  # the catalogue proxy's keys (keys/proxy.py), re-exported
    proxy_rate as proxy_rate,
    proxy_usage_day as proxy_usage_day,
    proxy_usage_month as proxy_usage_month,
)
from .relay import (  # the relay between hubs' keys (keys/relay.py), re-exported
    RELAYS as RELAYS,
    REPORTS as REPORTS,
    relay as _relay,
    report as _report,
)
from .remote_units import (  # remote units' keys (keys/remote_units.py), re-exported
    remote_unit as remote_unit,
)
from .sso import (  # the SSO's keys (keys/sso.py), re-exported: every key from here
    SESSION_CLIENTS as SESSION_CLIENTS,
    SESSION_FAMILIES as SESSION_FAMILIES,
    SSO_SECRET as SSO_SECRET,
    UNIT_PEOPLE as UNIT_PEOPLE,
    UNIT_SSO_CLIENTS as UNIT_SSO_CLIENTS,
    auth_code as auth_code,
    client_assertion as client_assertion,
    client_session as client_session,
    client_sessions_partition as client_sessions_partition,
    device_code as device_code,
    login_failures as login_failures,
    login_step as login_step,
    oidc_client as oidc_client,
    otp_used as otp_used,
    person as person,
    person_session as person_session,
    person_sessions_partition as person_sessions_partition,
    refresh_token as refresh_token,
    session_family as session_family,
    setup_link as setup_link,
    sso_session as sso_session,
    sso_session_client as sso_session_client,
    token_family as token_family,
    unit_oidc_client as unit_oidc_client,
    unit_person as unit_person,
    user_code as user_code,
)
from .stats import (  # the counters' keys (keys/stats.py), re-exported
    PROVINCE_SHARDS as PROVINCE_SHARDS,
    STATS_DAY as STATS_DAY,
    STATS_HOUR as STATS_HOUR,
    STATS_MONTH as STATS_MONTH,
    STATS_UTC_DAY as STATS_UTC_DAY,
    TALLY_SHARDS as TALLY_SHARDS,
    backfill_marker as backfill_marker,
    province_stats as province_stats,
    ranking as ranking,
    ranking_partition as ranking_partition,
    stats_day as stats_day,
    stats_hour as stats_hour,
    stats_month as stats_month,
    stats_partition as stats_partition,
    stats_utc_day as stats_utc_day,
    tally as tally,
    tally_partition as tally_partition,
)
from .status_replies import (  # status replies' keys (keys/status_replies.py), re-exported
    REPLIES as REPLIES,
    latest_status_reply as latest_status_reply,
    status_reply as status_reply,
    unit_replies as unit_replies,
    unit_status_reply as unit_status_reply,
)
from .webhooks import *  # noqa: F403 (webhooks' keys: keys/webhooks.py, its __all__)

META = "META"


def unit(code: str) -> tuple[str, str]:
    return f"UNIT#{code}", META


def app(app_id: str) -> tuple[str, str]:
    return f"APP#{app_id}", META


def unit_app(code: str, app_id: str) -> tuple[str, str]:
    return f"UNIT#{code}", f"APP#{app_id}"


def access_key(key_id: str) -> tuple[str, str]:
    return f"KEY#{key_id}", META


def app_key(app_id: str, key_id: str) -> tuple[str, str]:
    """Link from an app to one of its access keys (the app's keys are one partition)."""
    return f"APP#{app_id}", f"KEY#{key_id}"


def message_partition(message_id: str) -> str:
    """A message's partition: its meta, deliveries, open-delivery counts and trace."""
    return f"MSG#{message_id}"


def message(message_id: str) -> tuple[str, str]:
    return message_partition(message_id), META


DELIVERIES = "DEST#"
TRACE = "EVT#"
LEFT = "LEFT#"


def delivery(message_id: str, unit_code: str) -> tuple[str, str]:
    return message_partition(message_id), f"{DELIVERIES}{unit_code}"


def open_count(message_id: str, batch: int) -> tuple[str, str]:
    """How many deliveries of one fan-out batch are still open (see domain/lifecycle)."""
    return message_partition(message_id), f"{LEFT}{batch:05d}"


def trace(message_id: str, at: int, event_id: str) -> tuple[str, str]:
    return message_partition(message_id), f"{TRACE}{at:012d}#{event_id}"


def undeliverable(message_id: str, unit_code: str) -> tuple[str, str]:
    """A destination found undeliverable (counted once, however often it is told)."""
    return message_partition(message_id), f"NODELIV#{unit_code}"


def inbox_partition(unit_code: str) -> str:
    return f"INBOX#{unit_code}"


def inbox(unit_code: str, sort_key: str) -> tuple[str, str]:
    return inbox_partition(unit_code), sort_key


def outbox_partition(unit_code: str) -> str:
    return f"OUTBOX#{unit_code}"


def outbox(unit_code: str, created_at: int, message_id: str) -> tuple[str, str]:
    return outbox_partition(unit_code), f"{created_at:012d}#{message_id}"


def history_partition(unit_code: str, month: str) -> str:
    """A unit's exchange history of one province month ('2026-11'); lines written before
    the history moved to the province's month sit in the partition of their UTC month."""
    return f"HIST#{unit_code}#{month}"


def history(unit_code: str, month: str, at: int, message_id: str, event: str
            ) -> tuple[str, str]:
    return history_partition(unit_code, month), f"{at:012d}#{message_id}#{event}"


def idempotency(app_id: str, key: str) -> tuple[str, str]:
    return f"IDEM#{app_id}#{key}", META


def nonce(key_id: str, value: str) -> tuple[str, str]:
    """A nonce seen with a key, remembered (with a TTL) for the clock-skew window."""
    return f"NONCE#{key_id}#{value}", META


def connections_of(unit_code: str) -> str:
    return f"CONN#{unit_code}"


def connection(unit_code: str, connection_id: str) -> tuple[str, str]:
    """A live WebSocket connection of a unit (fan-out queries the unit's partition)."""
    return connections_of(unit_code), connection_id


def connection_owner(connection_id: str) -> tuple[str, str]:
    """Which unit holds a connection: `$disconnect` and messages carry only its id."""
    return f"WS#{connection_id}", META


ONLINE = "ONLINE"


def online(unit_code: str) -> tuple[str, str]:
    """Index of units online now (one partition: the sweeper and operators query it)."""
    return ONLINE, unit_code


def presence(unit_code: str) -> tuple[str, str]:
    """A unit's presence state: online or offline, and since when."""
    return f"UNIT#{unit_code}", "PRESENCE"


def presence_history_partition(unit_code: str) -> str:
    return f"PRES#{unit_code}"


def presence_history(unit_code: str, at: int, event_id: str, event: str) -> tuple[str, str]:
    """Connect/disconnect and online/offline history of a unit (R-PROP-12)."""
    return presence_history_partition(unit_code), f"{at:012d}#{event_id}#{event}"


def due_partition(day_text: str) -> str:
    return f"DUE#{day_text}"


def due(day_text: str, due_at: int, kind: str, message_id: str, tag: str = ""
        ) -> tuple[str, str]:
    """Work the sweeper must do at `due_at`, one partition per UTC day ('2026-11-29').
    `tag` tells apart work of one kind for one message written more than once in a
    second (reports to an origin hub), so none overwrites another the sweeper is
    finishing and deleting."""
    return due_partition(day_text), f"{due_at:012d}#{kind}#{message_id}" + (
        f"#{tag}" if tag else "")


SWEEP_CURSOR = ("SWEEP", "CURSOR")
READY_PROBE = ("HEALTH", "PROBE")  # read (never written) by the readiness check


def lease(name: str) -> tuple[str, str]:
    """Who holds a lease (e.g. `sweeper`: which host process runs the sweeps) and until
    when (`domain/leases.py`)."""
    return f"LEASE#{name}", "LEASE"


# The unit registry and directory (R-JOIN-1, R-PROP-7)

UNIT_APPS = "APP#"  # the app links in a unit's partition
APP_KEYS = "KEY#"  # the key links in an app's partition
DIRECTORY = "UNITS"  # every unit's directory entry: what listing and search read
DIRECTORY_VERSION = ("DIRINDEX", "VERSION")


def unit_partition(code: str) -> str:
    return unit(code)[0]


def app_partition(app_id: str) -> str:
    return app(app_id)[0]


def directory_entry(code: str) -> tuple[str, str]:
    return DIRECTORY, code


def unit_history_partition(code: str) -> str:
    return f"UNITHIST#{code}"


def unit_history(code: str, at: int, event_id: str) -> tuple[str, str]:
    return unit_history_partition(code), f"{at:012d}#{event_id}"


GROUPS = "GROUPS"


def group(group_id: str) -> tuple[str, str]:
    """A named group of units (every group is the one partition `GROUPS`)."""
    return GROUPS, group_id


REORGANISATIONS = "REORGS"


def reorganisation(reorg_id: str) -> tuple[str, str]:
    return f"REORG#{reorg_id}", META


def reorganisation_entry(created_at: int, reorg_id: str) -> tuple[str, str]:
    """The list of re-organisations, newest last."""
    return REORGANISATIONS, f"{created_at:012d}#{reorg_id}"


JOIN_REQUESTS = "JOINREQS"  # the operators' list of joining requests


def join_request(request_id: str) -> tuple[str, str]:
    return f"REQ#{request_id}", META


def unit_join_request(unit_code: str, request_id: str) -> tuple[str, str]:
    """A unit's list of its joining requests."""
    return f"JOINREQ#{unit_code}", request_id


def join_request_index(group_name: str, at: int, request_id: str) -> tuple[str, str]:
    return JOIN_REQUESTS, f"{group_name}#{at:012d}#{request_id}"


OPERATORS = "OPERATORS"


def operator(code: str) -> tuple[str, str]:
    """A unit flagged as the province's IT department (its apps act as operators)."""
    return OPERATORS, code


BOOTSTRAP_MARKER = ("DEPLOYMENT", "BOOTSTRAP")  # the first operator was created
MASTER_KEY_ROTATION = ("MASTERKEY", "ROTATION")  # the lease of the one rotation at a time


# Brokered sessions (R-AUTH)

SERVICES = "SVC#"
HUBKEY = "HUBKEY"
HUB_KIDS = "KID#"


def service(unit_code: str, service_id: str) -> tuple[str, str]:
    """A service a unit exposes; the unit's services are one partition (listing = query)."""
    return unit_services(unit_code), f"{SERVICES}{service_id}"


def unit_services(unit_code: str) -> str:
    return f"UNITSVC#{unit_code}"


def grant(service_unit: str, service_id: str, source_unit: str,
          source_app: str | None) -> tuple[str, str]:
    """A grant on one service; `*` stands for every app of the source unit."""
    return grants_of(service_unit, service_id), f"SRC#{source_unit}#{source_app or '*'}"


def grant_prefix(source_unit: str) -> str:
    return f"SRC#{source_unit}#"


def grants_of(service_unit: str, service_id: str) -> str:
    return f"GRANTS#{service_unit}#{service_id}"


def grant_ref(grant_id: str) -> tuple[str, str]:
    """Pointer from a grant id (used by DELETE) to the grant item."""
    return f"GRANT#{grant_id}", META


def hub_key(kid: str) -> tuple[str, str]:
    """A hub token-signing key; all of them are the one partition `HUBKEY`."""
    return HUBKEY, f"{HUB_KIDS}{kid}"


def ws_ticket(jti: str) -> tuple[str, str]:
    """A WebSocket ticket already redeemed (kept until it would have expired)."""
    return f"WSTICKET#{jti}", META


def relay(message_id: str, peer: str) -> tuple[str, str]:
    """A message's hand-over to one peer hub (keys/relay.py)."""
    return _relay(message_partition(message_id), peer)


def report(message_id: str, at: int, unit: str, event: str) -> tuple[str, str]:
    """An outcome still to report to the origin hub (keys/relay.py)."""
    return _report(message_partition(message_id), at, unit, event)
