"""Table keys of the audit log and of each unit's error log (docs/audit.md), part of
`chalicelib.domain.keys`: import them from there (`keys.audit_line(...)`), like every
other key. Both logs are partitioned by province month, so a period is read as one
bounded query per month, never a scan."""

from __future__ import annotations


def audit_partition(month: str) -> str:
    """Every admin action of the province in one province month ('2026-11')."""
    return f"AUDIT#{month}"


def audit_line(month: str, at: int, line_id: str) -> tuple[str, str]:
    return audit_partition(month), f"{at:012d}#{line_id}"


def unit_audit_partition(unit_code: str, month: str) -> str:
    """The admin actions on one unit in one province month: what its admins may read."""
    return f"AUDIT#{unit_code}#{month}"


def unit_audit_line(unit_code: str, month: str, at: int, line_id: str) -> tuple[str, str]:
    return unit_audit_partition(unit_code, month), f"{at:012d}#{line_id}"


def error_log_partition(unit_code: str, month: str) -> str:
    """A unit's error log of one province month: refused calls, failed fetches, expired
    and undeliverable messages (R-OPS-5)."""
    return f"ERRLOG#{unit_code}#{month}"


def error_line(unit_code: str, month: str, at: int, line_id: str) -> tuple[str, str]:
    return error_log_partition(unit_code, month), f"{at:012d}#{line_id}"


def error_rate(unit_code: str, minute: int, verified: bool) -> tuple[str, str]:
    """How many refused calls of a unit one minute had (`minute` = epoch // 60), signed
    by its keys (`verified`) or only naming one of them: the bound of the log's writes."""
    return f"ERRRATE#{unit_code}", f"{minute:010d}#{'v' if verified else 'u'}"
