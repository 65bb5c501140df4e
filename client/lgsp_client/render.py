"""Plain-text tables and lines for the CLI (the `--json` flags print the hub's answers as
they are)."""

from __future__ import annotations

import datetime
import json
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.exchange import FetchResult
from lgsp_client.options import human_size, priority_label
from lgsp_client.reports import PROVINCE_TIME

TITLE_WIDTH = 48
EVENT_WIDTH = len("message.undeliverable")


def _text(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


def _short(text: str, width: int = TITLE_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO, *,
          right: Collection[int] = ()) -> None:
    """Columns two spaces apart, left-aligned but those in `right` (numbers); a dash for
    missing values."""
    cells = [[_text(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        print("  ".join(v.rjust(w) if i in right else v.ljust(w)
                        for i, (v, w) in enumerate(zip(row, widths, strict=True))).rstrip(),
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
        *((("deliver_at", m["deliver_at"]),) if m.get("deliver_at") else ()),
    ]
    for name, value in fields:
        print(f"{name + ':':<17}{_text(value)}", file=out)
    for p in m.get("problems") or []:  # a refused edXML package: why
        print(f"{'problem:':<17}{p.get('element')}: {p.get('code')}: {p.get('message')}",
              file=out)
    print(file=out)
    table(["DESTINATION", "STATE", "FETCHES", "FAILED", "AT", "REASON"],
          [[d.get("unit") + (f" (via {d['via']})" if d.get("via") else ""), d.get("state"),
            d.get("fetch_count", 0), d.get("failed_fetches", 0), _delivery_at(d),
            d.get("reason")] for d in data.get("deliveries") or []], out)
    print(file=out)
    if data.get("handovers"):  # remote destinations: their hand-overs to peer hubs
        table(["PEER HUB", "STATE", "ATTEMPTS", "ACCEPTED", "LAST ERROR", "UNITS"],
              [[h.get("peer"), h.get("state"), h.get("attempts"), h.get("accepted_at"),
                h.get("last_error") or h.get("refusal"), ", ".join(h.get("units") or [])]
               for h in data["handovers"]], out)
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


def fetched_line(result: FetchResult) -> str:
    """`PATH SIZE sha256:HEX STATE`, the one line `fetch` and `watch --auto-fetch` print."""
    return (f"{result.file.path} {result.file.size} sha256:{result.file.sha256} "
            f"{result.delivery.get('state', 'confirmed')}")


def fetched_record(message_id: str, result: FetchResult) -> dict[str, Any]:
    """The same as a JSON object, for `watch --json --auto-fetch`."""
    return {"type": "fetched", "message_id": message_id, "path": str(result.file.path),
            "size": result.file.size, "sha256": result.file.sha256,
            "state": result.delivery.get("state", "confirmed")}


def when(at: Any) -> str:
    """Epoch seconds as ISO-8601 UTC (the hub's own format); text as it is."""
    if isinstance(at, int | float) and not isinstance(at, bool):
        moment = datetime.datetime.fromtimestamp(at, datetime.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return _text(at)


def _compact(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def event_line(event: Mapping[str, Any]) -> str:
    """One line per pushed event: time, type, message id, priority, the other unit; a type
    this client does not know is shown with its fields rather than dropped."""
    kind = _text(event.get("type"))
    head = f"{when(event.get('at'))}  {kind:<{EVENT_WIDTH}}"
    if kind == "notice" and isinstance(event.get("notice"), dict):
        return f"{head}  {notice_headline(event['notice'])}"
    if kind in ("unit.online", "unit.offline") and event.get("unit"):
        return f"{head}  {event['unit']}"
    if not event.get("message_id"):
        rest = {k: v for k, v in event.items() if k not in ("type", "at")}
        return f"{head}  {_compact(rest)}"
    parts = [head, str(event["message_id"]), priority_label(str(event.get("priority") or ""))]
    if kind == "message.status":
        parts += [f"by {_text(event.get('unit'))}:", f"{_text(event.get('code'))} "
                  f"{_text(event.get('meaning'))}"]
        if event.get("hops"):
            parts.append("via " + ", ".join(str(h.get("hub")) for h in event["hops"]))
        if event.get("comment"):
            parts.append(f"“{event['comment']}”")
        return "  ".join(p for p in parts if p)
    if event.get("source"):
        parts.append(f"from {event['source']}")
    if event.get("destination"):
        parts.append(f"to {event['destination']}")
    if isinstance(event.get("size"), int):
        parts.append(human_size(event["size"]))
    if event.get("reason"):
        parts.append(f"reason: {event['reason']}")
    return "  ".join(p for p in parts if p)


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The summary a connection opens with: who is connected, what waits (in delivery
    order), and the states of what was sent lately."""
    inbox, outbox = summary.get("inbox") or {}, summary.get("outbox") or {}
    waiting, sent = inbox.get("items") or [], outbox.get("items") or []
    lines = [f"{when(summary.get('server_time'))}  connected as {_text(summary.get('unit'))} "
             f"(app {_text(summary.get('app'))})"]
    more = "+" if inbox.get("more") else ""
    lines.append(f"{len(waiting)}{more} waiting" + (":" if waiting else ""))
    lines += ["  " + "  ".join([_text(i.get("id")), priority_label(str(i.get("priority") or "")),
                                f"from {_text(i.get('source'))}",
                                _short(str(i.get("title") or "")),
                                human_size(int(i.get("size") or 0))]) for i in waiting]
    states = Counter(str(i.get("state") or "?") for i in sent)
    more = "+" if outbox.get("more") else ""
    lines.append(f"{len(sent)}{more} sent recently" + (": " + ", ".join(
        f"{n} {state}" for state, n in sorted(states.items())) if sent else ""))
    notices = summary.get("notices") or {}
    if notices.get("items"):
        more = "+" if notices.get("more") else ""
        lines.append(f"{len(notices['items'])}{more} maintenance notices (lgsp notices):")
        lines += ["  " + notice_headline(n) for n in notices["items"]]
    return lines


# -- maintenance notices (R-OPS-4) ---------------------------------------------------


def _province(iso_text: Any) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(str(iso_text))
    except ValueError:
        return None
    return moment.astimezone(PROVINCE_TIME) if moment.tzinfo else None


def notice_window(notice: Mapping[str, Any]) -> str:
    """`2026-12-01 22:00–23:30 (+07)`, in the province's time; the end's date too when
    it is another day."""
    first, last = _province(notice.get("starts_at")), _province(notice.get("ends_at"))
    if first is None or last is None:
        return f"{_text(notice.get('starts_at'))}–{_text(notice.get('ends_at'))}"
    end = last.strftime("%H:%M" if last.date() == first.date() else "%Y-%m-%d %H:%M")
    return f"{first:%Y-%m-%d %H:%M}–{end} (+07)"


def notice_headline(notice: Mapping[str, Any]) -> str:
    """One line: severity, state, window, services, title."""
    services = ", ".join(str(s) for s in notice.get("services") or [])
    return "  ".join([_text(notice.get("severity")), _text(notice.get("state")),
                      notice_window(notice), f"[{services}]", _text(notice.get("title"))])


def notice_lines(notice: Mapping[str, Any], indent: str = "    ") -> list[str]:
    """The headline, then the body's lines indented."""
    body = str(notice.get("body") or "")
    return [notice_headline(notice), *(indent + line for line in body.splitlines())]


def print_current_notices(answer: Mapping[str, Any], out: TextIO) -> None:
    """Each current notice: its headline, its id, its body."""
    items = answer.get("items") or []
    if not items:
        print("(no maintenance notices)", file=out)
        return
    for number, notice in enumerate(items):
        if number:
            print(file=out)
        head, *body = notice_lines(notice)
        print(head, file=out)
        print(f"    id: {_text(notice.get('id'))}", file=out)
        for line in body:
            print(line, file=out)


def print_notice_history(page: Mapping[str, Any], out: TextIO) -> None:
    items = page.get("items") or []
    if not items:
        print("(no notices)", file=out)
        return
    table(["ID", "SEVERITY", "STATE", "WINDOW", "SERVICES", "BY", "TITLE"],
          [[n.get("id"), n.get("severity"), n.get("state"), notice_window(n),
            ",".join(n.get("services") or []), n.get("created_by"),
            _short(str(n.get("title") or ""))] for n in items], out)
