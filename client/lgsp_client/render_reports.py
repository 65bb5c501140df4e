"""The hub's reports as plain-text tables for `lgsp report ... --format table` (the other
formats are the hub's own JSON, CSV or XLSX)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from lgsp_client.options import PRIORITIES, human_size, priority_label
from lgsp_client.render import table

TOTALS = (("sent", "sent"), ("bytes_sent", "bytes sent"), ("received", "received"),
          ("bytes_received", "bytes received"), ("rejected", "rejected"),
          ("failed_fetches", "failed fetches"), ("expired", "expired"),
          ("undeliverable", "undeliverable"))
SIDES = (("consumer", "consumer (its apps)"), ("provider", "provider (its services)"))
COUNTS = ("sent", "received", "rejected", "failed_fetches", "expired", "undeliverable")


def duration(seconds: Any) -> str:
    """12 -> '12 s', 200 -> '3 min 20 s', 14700 -> '4 h 05 min', 97200 -> '1 d 3 h'."""
    if seconds is None:
        return "-"
    whole = round(float(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _period(period: Any) -> str:
    if not isinstance(period, Mapping):
        return str(period)
    label, first, last = period.get("label"), period.get("from"), period.get("to")
    if not (first and last and first != last):
        return str(label or first or "-")
    if period.get("kind") == "range" or not label:
        return f"{first} .. {last}"
    return f"{label} ({first} .. {last})"


def _heading(pairs: Sequence[tuple[str, Any]], out: TextIO) -> None:
    width = max(len(name) for name, _ in pairs) + 2
    for name, value in pairs:
        print(f"{name + ':':<{width}}{value}", file=out)


def _counts(row: Mapping[str, Any]) -> list[Any]:
    return [row.get(name) for name in COUNTS]


def print_figures(data: Mapping[str, Any], out: TextIO) -> None:
    """A unit's or the province's figures: totals, by priority, latency, calls through
    the proxy to the catalogue's services, per day."""
    heading: list[tuple[str, Any]] = []
    if data.get("unit"):
        heading.append(("unit", f"{data['unit']}  {data.get('unit_name') or ''}".rstrip()))
    else:
        heading.append(("province", f"{data.get('units', '-')} units"))
    heading.append(("period", _period(data.get("period"))))
    latency = data.get("latency") or {}
    heading.append(("latency", f"{latency.get('confirmed', 0)} confirmed, median "
                               f"{duration(latency.get('median_seconds'))}, p95 "
                               f"{duration(latency.get('p95_seconds'))}"))
    _heading(heading, out)
    totals = data.get("totals") or {}
    print(file=out)
    table(["TOTAL", "VALUE"],
          [[label, human_size(int(totals.get(key) or 0)) if key.startswith("bytes")
            else totals.get(key)] for key, label in TOTALS], out, right={1})
    by_priority = data.get("by_priority") or {}
    print(file=out)
    table(["PRIORITY", "SENT", "RECEIVED"],
          [[priority_label(slug), (by_priority.get(slug) or {}).get("sent"),
            (by_priority.get(slug) or {}).get("received")]
           for slug in [*PRIORITIES, *(s for s in by_priority if s not in PRIORITIES)]],
          out, right={1, 2})
    _services(data.get("services"), out)
    days = data.get("days") or []
    if days:
        key = "month" if "month" in days[0] else "day"
        print(file=out)
        table([key.upper(), *(c.upper() for c in COUNTS)],
              [[d.get(key), *_counts(d)] for d in days], out, right=set(range(1, 7)))


def _services(services: Any, out: TextIO) -> None:
    """Calls through the hub's proxy to the catalogue's services (a hub that has none in
    its report: no table)."""
    if not isinstance(services, Mapping) or not services:
        return
    print(file=out)
    table(["SERVICES", "CALLS", "FAILURES", "BYTES_SENT", "BYTES_RECEIVED"],
          [[label, row.get("calls"), row.get("failures"),
            human_size(int(row.get("bytes_sent") or 0)),
            human_size(int(row.get("bytes_received") or 0))]
           for side, label in SIDES if isinstance(row := services.get(side), Mapping)],
          out, right={1, 2, 3, 4})


def print_ranking(data: Mapping[str, Any], out: TextIO) -> None:
    _heading([("ranking", f"by {data.get('by') or '-'}"),
              ("period", _period(data.get("period")))], out)
    print(file=out)
    items = data.get("items") or []
    if not items:
        print("(no units)", file=out)
        return
    table(["#", "UNIT", "NAME", *(c.upper() for c in COUNTS)],
          [[n, i.get("unit"), i.get("unit_name"), *_counts(i)]
           for n, i in enumerate(items, start=1)], out, right={0, *range(3, 9)})


def print_history(data: Mapping[str, Any], out: TextIO) -> None:
    _heading([("unit", data.get("unit")), ("period", _period(data.get("period")))], out)
    print(file=out)
    items = data.get("items") or []
    if not items:
        print("(no exchanges)", file=out)
        return
    table(["AT", "EVENT", "DIRECTION", "MESSAGE_ID", "PRIORITY", "SIZE", "COUNTERPARTS"],
          [[i.get("at"), i.get("event"), i.get("direction"), i.get("message_id"),
            priority_label(str(i.get("priority") or "")) or None,
            human_size(int(i["size"])) if isinstance(i.get("size"), int) else None,
            ",".join(i.get("counterparts") or [])] for i in items], out, right={5})


def print_connections(data: Mapping[str, Any], out: TextIO) -> None:
    availability = data.get("availability")
    shown = "-" if availability is None else f"{float(availability) * 100:.2f} %"
    _heading([("unit", data.get("unit")), ("period", _period(data.get("period"))),
              ("online", duration(data.get("online_seconds"))),
              ("availability", shown), ("connects", data.get("connects"))], out)
    print(file=out)
    sessions = data.get("sessions") or []
    if not sessions:
        print("(no connections)", file=out)
        return
    table(["CONNECTED_AT", "DISCONNECTED_AT", "DURATION", "APP"],
          [[s.get("connected_at"), s.get("disconnected_at") or "(still connected)",
            duration(s.get("seconds")), s.get("app")] for s in sessions], out, right={2})
