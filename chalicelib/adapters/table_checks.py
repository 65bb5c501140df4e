"""Checks both table adapters apply before writing, so they refuse the same ops alike
(the limits are DynamoDB's: at most 100 ops a transaction, one op per item)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.domain.errors import ContentionError, TransactionConflictError
from chalicelib.domain.ports import MAX_GET_MANY, Check, Condition, Put, TransactOp, Update

MAX_TRANSACT_OPS = 100
KEYS = ("pk", "sk")


def check_keys(pk: Any, sk: Any) -> None:
    if not (isinstance(pk, str) and isinstance(sk, str) and pk and sk):
        raise ValueError("pk and sk must be non-empty strings")


def check_condition(cond: Condition | None) -> None:
    if cond is None:
        return
    for values in cond.one_of.values():
        if isinstance(values, str | bytes) or not values:
            raise ValueError("one_of needs a non-empty sequence of values per attribute")


def check_update(op: Update) -> None:
    check_keys(op.pk, op.sk)
    names = [*op.set, *op.add, *op.remove]
    if not names:
        raise ValueError("an Update must set, add or remove at least one attribute")
    if len(set(names)) != len(names) or set(names) & set(KEYS):
        raise ValueError("an Update names each attribute once and never pk or sk")
    if any(isinstance(n, bool) or not isinstance(n, int) for n in op.add.values()):
        raise ValueError("add takes integers")
    check_condition(op.condition)


def target(op: TransactOp) -> tuple[str, str]:
    if isinstance(op, Put):
        return op.item.get("pk", ""), op.item.get("sk", "")
    return op.pk, op.sk


def check_op(op: TransactOp) -> None:
    check_keys(*target(op))
    if isinstance(op, Update):
        check_update(op)
    elif isinstance(op, Check) and op.condition == Condition():
        raise ValueError("a Check needs a condition with at least one part")
    else:
        check_condition(op.condition)


def check_ops(ops: Sequence[TransactOp]) -> None:
    if len(ops) > MAX_TRANSACT_OPS:
        raise ValueError(f"a transaction holds at most {MAX_TRANSACT_OPS} ops")
    targets = [target(op) for op in ops]
    if len(set(targets)) != len(targets):
        raise ValueError("a transaction may touch each item only once")
    for op in ops:
        check_op(op)


def check_get_many(keys: Sequence[tuple[str, str]]) -> None:
    if len(keys) > MAX_GET_MANY:
        raise ValueError(f"a batch read takes at most {MAX_GET_MANY} keys")
    for pk, sk in keys:
        check_keys(pk, sk)


def check_query(limit: int, prefix: str | None, start: str | None, end: str | None) -> None:
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if prefix and (start is not None or end is not None):
        raise ValueError("query takes a prefix or a range, not both")


CONDITION_FAILED = "ConditionalCheckFailed"
# DynamoDB's cancellation reasons that say nothing about the ops' conditions: another
# transaction held one of the items, or the table throttled the request.
TRANSIENT_REASONS = frozenset({"TransactionConflict", "ThrottlingError",
                               "ProvisionedThroughputExceeded", "RequestLimitExceeded"})


def cancellation(reasons: list[str]) -> Exception:
    """What a cancelled transaction means to its caller, from DynamoDB's reasons ('' for
    an op that was fine): a condition that did not hold (`TransactionConflictError`,
    final), or contention only (`ContentionError`: nothing is known about the conditions,
    and the same transaction may simply be tried again)."""
    if CONDITION_FAILED not in reasons and any(r in TRANSIENT_REASONS for r in reasons):
        met = ", ".join(sorted(set(reasons) - {""}))
        return ContentionError(f"The transaction met contention ({met}).")
    return TransactionConflictError("The transaction was cancelled.", reasons)
