"""Plain-text tables for the CLI (the `--json` flags print the hub's answers as they are)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.options import human_size, priority_label

TITLE_WIDTH = 48


def _text(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


def _short(text: str, width: int = TITLE_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    """Left-aligned columns, two spaces apart; a dash for missing values."""
    cells = [[_text(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(),
              file=out)


def print_inbox(page: Mapping[str, Any], out: TextIO) -> None:
    items = page.get("items") or []
    if not items:
        print("(inbox is empty)", file=out)
        return
    table(["ID", "PRIORITY", "SOURCE", "TITLE", "SIZE", "AVAILABLE_AT"],
          [[i["id"], priority_label(i.get("priority", "")), i.get("source"),
            _short(str(i.get("title", ""))), human_size(int(i.get("size") or 0)),
            i.get("available_at")] for i in items], out)


def print_outbox(page: Mapping[str, Any], out: TextIO) -> None:
    items = page.get("items") or []
    if not items:
        print("(outbox is empty)", file=out)
        return
    table(["ID", "PRIORITY", "STATE", "CREATED_AT", "TO", "TITLE"],
          [[i["id"], priority_label(i.get("priority", "")), i.get("state"),
            i.get("created_at"), ",".join(i.get("to") or []),
            _short(str(i.get("title", "")))] for i in items], out)


def _delivery_at(d: Mapping[str, Any]) -> Any:
    return d.get("confirmed_at") or d.get("rejected_at") or d.get("first_fetched_at") \
        or d.get("available_at")


def print_status(data: Mapping[str, Any], out: TextIO) -> None:
    """The message, one line per destination, and the trace in time order."""
    m = data["message"]
    fields = [
        ("id", m.get("id")), ("state", m.get("state")), ("title", m.get("title")),
        ("priority", priority_label(m.get("priority", ""))), ("from", m.get("source")),
        ("to", ", ".join(m.get("to") or [])),
        ("type", f"{m.get('data_type')} / {m.get('protocol')}"),
        ("file", f"{m.get('file_name')} ({m.get('content_type')}, "
                 f"{human_size(int(m.get('size') or 0))})"),
        ("sha256", m.get("sha256")), ("created_at", m.get("created_at")),
        ("verified_at", m.get("verified_at")), ("completed_at", m.get("completed_at")),
        ("confirm_by", m.get("confirm_by")), ("content_deleted", m.get("content_deleted_at")),
    ]
    for name, value in fields:
        print(f"{name + ':':<17}{_text(value)}", file=out)
    print(file=out)
    table(["DESTINATION", "STATE", "FETCHES", "FAILED", "AT", "REASON"],
          [[d.get("unit"), d.get("state"), d.get("fetch_count", 0), d.get("failed_fetches", 0),
            _delivery_at(d), d.get("reason")] for d in data.get("deliveries") or []], out)
    print(file=out)
    table(["AT", "EVENT", "UNIT", "DETAIL"],
          [[t.get("at"), t.get("event"), t.get("unit"), t.get("detail")]
           for t in data.get("trace") or []], out)


def print_whoami(who: Mapping[str, Any], out: TextIO) -> None:
    for name in ("unit", "app", "key_id", "algorithm"):
        print(f"{name + ':':<11}{_text(who.get(name))}", file=out)


def print_time(client: LgspClient, out: TextIO) -> None:
    """The hub's clock and how far this machine's clock is from it."""
    before = time.time()
    server = client.server_time()
    local = (before + time.time()) / 2
    offset = int(server["epoch"]) - round(local)
    print(f"server:  {server.get('iso')} ({server['epoch']})", file=out)
    print(f"offset:  {offset:+d} s (server minus this machine)", file=out)


def _key_state(key: Mapping[str, Any]) -> str:
    status = str(key.get("status", ""))
    if status in ("retiring", "expired") and key.get("valid_until"):
        return f"{status} (until {key['valid_until']})"
    if status == "revoked" and key.get("revoked_at"):
        return f"revoked ({key['revoked_at']})"
    return status


def print_keys(page: Mapping[str, Any], out: TextIO) -> None:
    """One line per key of the app; `*` marks the key signing this call."""
    table(["KEY_ID", "ALGORITHM", "STATUS", "CREATED_AT", "LAST_USED_AT"],
          [[("* " if k.get("current") else "  ") + str(k.get("key_id")), k.get("algorithm"),
            _key_state(k), k.get("created_at"), k.get("last_used_at")]
           for k in page.get("items") or []], out)
