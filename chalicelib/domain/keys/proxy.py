"""Table keys of the catalogue's proxy (docs/catalogue.md "Proxy mode", docs/data-model.md
C10-C11), part of `chalicelib.domain.keys`: import them from there.

- `PROXYRATE#<grant id>` / `<minute>`: the calls a grant made in one minute window (a
  compare-and-set counter; expires by `ttl`);
- `PROXYUSE#<grant id>` / `DAY#<province day>` and `MONTH#<province month>`: a grant's
  calls, bytes and failures, for both sides' view of the grant.
"""

from __future__ import annotations


def proxy_rate(grant_id: str, minute: int) -> tuple[str, str]:
    return f"PROXYRATE#{grant_id}", f"{minute:012d}"


def proxy_usage_day(grant_id: str, day: str) -> tuple[str, str]:
    return f"PROXYUSE#{grant_id}", f"DAY#{day}"


def proxy_usage_month(grant_id: str, month: str) -> tuple[str, str]:
    return f"PROXYUSE#{grant_id}", f"MONTH#{month}"
