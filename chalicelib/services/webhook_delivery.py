"""Delivering webhooks (issue 16, R-PROP-8; docs/webhooks.md, "Delivery").

    report = webhook_delivery.run(deps)   # the outbox drained, due deliveries attempted

One run drains the outbox into deliveries (`services/webhook_drain.py`), then attempts the
deliveries that are due, each endpoint's in order of their due time and the endpoints side
by side (`PARALLEL` at a time). An attempt is a signed POST through the SSRF-safe poster
(`Deps.outbound`); its outcome is written in one transaction with the attempt's log line:

- a 2xx: the delivery is deleted;
- anything else: the delivery is due again after a back-off (`domain/webhook_delivery`),
  or, past the retry window, it becomes a dead letter. The endpoint's other deliveries due
  now wait with it rather than each meeting the same failure in this run.

An endpoint that has failed every attempt for a day is disabled (its count out of the
outbox's index), its unit told (`webhook.disabled` and a line in its error log), and what
it still had pending goes to its dead letters as it comes due. On `make run` a worker
thread of the sweeping host runs this every second; on AWS a scheduled function. A run
that dies half-way leaves every delivery where it was: the next run attempts it again.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from chalicelib.domain import events, keys, webhook_delivery as rules
from chalicelib.domain.errors import ConditionFailedError, TransactionConflictError
from chalicelib.domain.outbound import OutboundFailedError, OutboundRefusedError
from chalicelib.domain.ports import Condition, Delete, Item, Put, TransactOp, Update
from chalicelib.domain.webhook_payloads import body as payload_bytes, payload
from chalicelib.domain.webhook_signing import sign
from chalicelib.services import webhook_drain, webhook_outbox
from chalicelib.services.deps import Deps
from chalicelib.services.error_log import line_put
from chalicelib.services.publish import tell
from chalicelib.services.webhooks import signing_secrets

log = logging.getLogger("lgsp.webhooks")
PARALLEL = 8
PAGE = 100
ATTEMPT_KEEP_SECONDS = 7 * 86400
DEAD_KEEP_SECONDS = 30 * 86400
MAX_ANSWER = 1024  # bytes of an endpoint's answer read (and dropped)
USER_AGENT = "LGSP-Webhooks/1"


@dataclass
class DeliveryReport:
    drained: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    disabled: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def timing(deps: Deps) -> rules.Timing:
    s = deps.settings
    return rules.Timing(first=s.webhook_first_retry_seconds, retry_for=s.webhook_retry_seconds,
                        disable_after=s.webhook_disable_after_seconds)


def run(deps: Deps, *, budget_seconds: float = 50.0) -> DeliveryReport:
    """Drain the outbox and attempt what is due, stopping new attempts after
    `budget_seconds` (a scheduled function's run has a bound)."""
    report = DeliveryReport(drained=webhook_drain.drain(deps,
                                                        limit=deps.settings.sweep_max_items))
    until = time.monotonic() + budget_seconds
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for delivery in _due(deps, deps.clock.now()):
        groups[(delivery["unit"], delivery["sid"])].append(delivery)
    if groups:
        with ThreadPoolExecutor(max_workers=min(PARALLEL, len(groups)),
                                thread_name_prefix="webhook") as pool:
            for done in pool.map(lambda g: _endpoint(deps, *g, until=until), groups.items()):
                for name in ("delivered", "failed", "dead"):
                    setattr(report, name, getattr(report, name) + getattr(done, name))
                report.disabled.extend(done.disabled)
    if report.drained or groups:
        log.info("webhooks: %s", report.as_dict())
    return report


def _due(deps: Deps, now: int) -> list[Item]:
    found: list[Item] = []
    for shard in range(keys.DUE_SHARDS):
        page = deps.table.query(keys.webhook_due_partition(shard), end=f"{now:012d}~",
                                limit=PAGE)
        found.extend(page.items)
    return found


def _endpoint(deps: Deps, owner: tuple[str, str], due: list[Item], *,
              until: float) -> DeliveryReport:
    report = DeliveryReport()
    endpoint = deps.table.get(*keys.webhook(*owner))
    due.sort(key=lambda d: d["sk"])
    if endpoint is None:  # removed: nothing more goes to it
        for delivery in due:
            _apply(deps, [Delete(delivery["pk"], delivery["sk"])])
        return report
    if endpoint["state"] != "active":
        for delivery in due:
            report.dead += _apply(deps, _dead_ops(deps, delivery, rules.ENDPOINT_DISABLED))
        return report
    secrets = signing_secrets(deps, endpoint, deps.clock.now())
    for n, delivery in enumerate(due):
        if time.monotonic() > until:
            break
        status, error, latency = _attempt(deps, endpoint, delivery, secrets)
        now, attempt = deps.clock.now(), int(delivery["attempts"]) + 1
        line = _attempt_put(delivery, now, attempt, status=status, error=error,
                            latency=latency)
        if rules.delivered(status):
            report.delivered += _apply(deps, [_gone(delivery), line])
            _succeeded(deps, endpoint, now)
            continue
        report.failed += 1
        decision, next_at = rules.after_failure(attempt, int(delivery["since"]), now,
                                                timing(deps), random.random())
        if decision == rules.GIVE_UP:
            report.dead += _apply(deps, [*_dead_ops(deps, delivery, rules.GAVE_UP,
                                                    attempts=attempt, status=status,
                                                    error=error), line])
        else:
            _apply(deps, [_gone(delivery), _again(delivery, next_at, attempt), line])
            for waiting in due[n + 1:]:  # the endpoint is down: the rest wait with it
                _apply(deps, [_gone(waiting), _again(waiting, next_at,
                                                     int(waiting["attempts"]))])
        if _failed(deps, endpoint, delivery, now):
            report.disabled.append(endpoint["id"])
        if decision == rules.RETRY:
            break
    return report


def _attempt(deps: Deps, endpoint: Item, delivery: Item, secrets: list[str]
             ) -> tuple[int | None, str | None, float | None]:
    """POST the delivery once: (status, error reason, latency in ms)."""
    event = events.from_dict(dict(delivery["event"]))
    body = payload_bytes(payload(event, delivery["event_id"]))
    headers = {"content-type": "application/json", "user-agent": USER_AGENT,
               **sign(secrets, delivery["event_id"], deps.clock.now(), body)}
    try:
        answer = deps.outbound.post(endpoint["url"], body, headers,
                                    timeout=deps.settings.webhook_timeout_seconds,
                                    max_answer=MAX_ANSWER)
    except OutboundRefusedError as exc:
        return None, f"refused:{exc.reason}", None
    except OutboundFailedError as exc:
        return None, exc.reason, None
    error = None if rules.delivered(answer.status) else "http_status"
    return answer.status, error, answer.elapsed_ms


def _apply(deps: Deps, ops: list[TransactOp]) -> int:
    """Write an outcome; 0 when another run wrote this delivery's outcome first."""
    try:
        deps.table.transact(ops)
    except TransactionConflictError:
        return 0
    return 1


def _gone(delivery: Item) -> Delete:
    return Delete(delivery["pk"], delivery["sk"], Condition(exists=True))


def _again(delivery: Item, next_at: int, attempts: int) -> Put:
    pk, sk = keys.webhook_due(delivery["sid"], next_at, delivery["event_id"])
    return Put({**delivery, "pk": pk, "sk": sk, "next_at": next_at, "attempts": attempts})


def _attempt_put(delivery: Item, at: int, attempt: int, *, status: int | None,
                 error: str | None, latency: float | None) -> Put:
    pk, sk = keys.webhook_attempt(delivery["sid"], at, delivery["event_id"], attempt)
    return Put({"pk": pk, "sk": sk, "kind": "webhook_attempt",
                "event_id": delivery["event_id"], "event_type": delivery["event"]["type"],
                "at": at, "attempt": attempt, "status": status, "error": error,
                "latency_ms": None if latency is None else round(latency),
                "delivered": rules.delivered(status),
                "ttl": at + ATTEMPT_KEEP_SECONDS})


def _dead_ops(deps: Deps, delivery: Item, reason: str, *, attempts: int | None = None,
              status: int | None = None, error: str | None = None) -> list[TransactOp]:
    now = deps.clock.now()
    pk, sk = keys.webhook_dead(delivery["sid"], delivery["event_id"])
    return [_gone(delivery), Put({
        "pk": pk, "sk": sk, "kind": "webhook_dead", "sid": delivery["sid"],
        "unit": delivery["unit"], "event_id": delivery["event_id"],
        "event": delivery["event"], "since": delivery["since"],
        "attempts": int(delivery["attempts"]) if attempts is None else attempts,
        "last_status": status, "last_error": error, "reason": reason, "dead_at": now,
        "ttl": now + DEAD_KEEP_SECONDS})]


def _succeeded(deps: Deps, endpoint: Item, now: int) -> None:
    """Clear the endpoint's failing mark; note its last success (at most once a minute)."""
    if endpoint.get("failing_since") is None and now - int(
            endpoint.get("last_success_at") or 0) < 60:
        return
    endpoint["last_success_at"], endpoint["failing_since"] = now, None
    with contextlib.suppress(ConditionFailedError):  # removed meanwhile
        deps.table.update(Update(endpoint["pk"], endpoint["sk"],
                                 set={"last_success_at": now}, remove=["failing_since"],
                                 condition=Condition(exists=True)))


def _failed(deps: Deps, endpoint: Item, delivery: Item, now: int) -> bool:
    """Mark the endpoint failing since the event of its first failed delivery; disable
    it once it has failed for `disable_after`. True when this disabled it."""
    since = endpoint.get("failing_since")
    if since is None:
        since = endpoint["failing_since"] = min(now, int(delivery["since"]))
        with contextlib.suppress(ConditionFailedError):  # disabled or removed meanwhile
            deps.table.update(Update(endpoint["pk"], endpoint["sk"],
                                     set={"failing_since": since},
                                     condition=Condition(equals={"state": "active"})))
    if not rules.disable_now(int(since), now, timing(deps)):
        return False
    return disable_failing(deps, endpoint, now)


def disable_failing(deps: Deps, endpoint: Item, now: int) -> bool:
    """Disable an endpoint that has failed for a day, and tell its unit."""
    unit = endpoint["unit"]
    told = [events.webhook_disabled(unit, endpoint["id"], endpoint["url"], now)]
    ops: list[TransactOp] = [
        Update(endpoint["pk"], endpoint["sk"],
               set={"state": "disabled", "disabled_reason": rules.FAILING,
                    "updated_at": now},
               condition=Condition(equals={"state": "active"})),
        Update(*keys.webhook_unit(unit), set={"unit": unit}, add={"active": -1}),
        line_put(deps, unit, "webhook", "webhook_disabled",
                 f"Webhook endpoint {endpoint['id']} ({endpoint['url'][:200]}) failed every "
                 f"delivery since {endpoint.get('failing_since')}; it is disabled. Fix it, "
                 "enable it again, and redeliver its dead letters."),
        *webhook_outbox.ops(deps, told)]
    if not _apply(deps, ops):
        return False
    endpoint["state"] = "disabled"
    webhook_outbox.forget()
    tell(deps, told)
    log.warning("webhook endpoint %s of %s disabled after failing for a day",
                endpoint["id"], unit)
    return True


def new_delivery(endpoint: Item, event_id: str, body: dict[str, object], now: int,
                 attempts: int = 0) -> Put:
    """A delivery due now (a redelivery, a ping)."""
    return webhook_drain.delivery_put(endpoint, event_id, dict(body), since=now,
                                      next_at=now, attempts=attempts)

