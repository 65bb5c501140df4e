"""Readiness of this process (R-COMP-2, R-PROP-6): it can read the table and reach the
store, with one read of each (an item and an object that never exist). A load balancer
checks it on every host and sends traffic only to hosts that pass; liveness
(`/v1/health`) touches neither."""

from __future__ import annotations

import logging

from chalicelib.domain import keys
from chalicelib.domain.errors import NotReadyError
from chalicelib.services.deps import Deps

log = logging.getLogger("lgsp.health")
STORE_PROBE = "health/ready-probe"  # an object never written


def check(deps: Deps) -> None:
    """Raise `NotReadyError` naming what this process cannot reach."""
    failed = []
    try:
        deps.table.get(*keys.READY_PROBE)
    except Exception as exc:  # the table's own error says why; it is logged, not shown
        log.warning("readiness: the table did not answer: %s", _said(exc))
        failed.append("the table")
    try:
        deps.objects.head(STORE_PROBE)
    except Exception as exc:
        log.warning("readiness: the store did not answer: %s", _said(exc))
        failed.append("the store")
    if failed:
        raise NotReadyError(f"This hub process cannot reach {' and '.join(failed)}; "
                            f"its operators are told by its log.")


def _said(exc: Exception) -> str:
    """What an engine's error says (its class and first line: a server and a port, never
    a password), for the operator's log."""
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
