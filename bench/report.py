"""The R-PROP-5 table as printed by `make bench` and pasted into docs/performance.md:
one row per benchmark, the hub and its baseline with units, the ratio with its direction,
the target and whether it is met (or why it was skipped)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

COLUMNS = ("id", "what", "hub", "baseline", "ratio", "target", "met")


def _amount(value: float, unit: str) -> str:
    digits = 1 if abs(value) >= 10 else 2 if abs(value) >= 1 else 3
    return f"{value:,.{digits}f} {unit}"


def target_text(row: dict[str, Any]) -> str:
    if row["id"] == "P4":
        return f"≤ {row['target']} req"
    sign = "≥" if row["direction"].startswith("higher") else "≤"
    return f"{sign} {row['target']}"


def ratio_text(row: dict[str, Any]) -> str:
    arrow = "↑" if row["direction"].startswith("higher") else "↓"
    prefix = "$ " if row["id"] == "P4" else ""
    return f"{prefix}{row['ratio']:.2f} {arrow}"


def cells(row: dict[str, Any]) -> list[str]:
    """One table row as text; a skipped benchmark says why in the `hub` column."""
    if row.get("status") != "ok":
        return [row["id"], row["what"], f"skipped: {row.get('reason', '')}", "", "", "", "–"]
    return [row["id"], row["what"], _amount(row["hub"], row["unit"]),
            _amount(row["baseline"], row["unit"]), ratio_text(row), target_text(row),
            "yes" if row["met"] else "no"]


def table(rows: Iterable[dict[str, Any]], *, markdown: bool = False) -> str:
    """Fixed-width text for the terminal, or a Markdown table for the docs."""
    body = [cells(r) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(c) + " |" for c in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(c[i]) for c in body)) if body else len(h)
              for i, h in enumerate(COLUMNS)]
    widths[1] = min(widths[1], 60)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*COLUMNS), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*(c[:60] if i == 1 else c for i, c in enumerate(r))) for r in body]
    lines.append("ratio: hub / baseline as throughput (↑ higher is better) or as cost, "
                 "time or requests (↓ lower is better); P4's ratio is $ hub / $ streaming")
    return "\n".join(lines)


def sweep_table(sweep: dict[str, Any], key: str = "upload_mib_per_s") -> str:
    """Part size x concurrency of the hub upload (or download), MiB/s (medians); a cell
    not measured shows as a dash."""
    rates: dict[str, float] = sweep[key]
    parts = sorted({k.split(" x ")[0] for k in rates}, key=lambda p: int(p[:-3]))
    concs = sorted({k.split(" x ")[1] for k in rates}, key=int)
    lines = ["| part size \\ concurrency | " + " | ".join(concs) + " |",
             "|---|" + "---|" * len(concs)]
    for p in parts:
        lines.append(f"| {p} | " + " | ".join(
            f"{rates[f'{p} x {c}']:.1f}" if f"{p} x {c}" in rates else "-" for c in concs)
            + " |")
    return "\n".join(lines)
