"""Items of the table as every engine of the port stores them alike (SQLite, PostgreSQL):
the values DynamoDB could store, conditions, updates, key order and query cursors. Pure
functions, shared by the adapters that keep items as JSON."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters.table_checks import check_op
from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.ports import Condition, Item, Put, TransactOp, Update

CONDITION_FAILED = "ConditionalCheckFailed"
INT64 = range(-(2**63), 2**63)
MAX_CHAR = 0x10FFFF


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def check_value(value: Any) -> None:
    """Only what DynamoDB stores alike: str, int, bool, None, lists and maps of those."""
    if value is None or isinstance(value, str | int):
        return
    if isinstance(value, list | tuple):
        for v in value:
            check_value(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError("map keys must be strings")
            check_value(v)
    else:
        raise TypeError(f"unsupported item value type: {type(value).__name__}")


def same(a: Any, b: Any) -> bool:
    """Equality that tells `True` from `1` (DynamoDB's BOOL is not a number)."""
    return dumps(a) == dumps(b)


def ttl_of(item: Mapping[str, Any]) -> int | None:
    ttl = item.get("ttl")
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl not in INT64:
        return None
    return ttl


def prefix_end(prefix: str) -> str | None:
    """The least string above every string starting with `prefix` (None if unbounded)."""
    stem = prefix.rstrip(chr(MAX_CHAR))
    if not stem:
        return None
    nxt = ord(stem[-1]) + 1
    if 0xD800 <= nxt <= 0xDFFF:
        nxt = 0xE000
    return stem[:-1] + chr(nxt)


def encode_cursor(sk: str) -> str:
    return base64.urlsafe_b64encode(dumps(sk).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        sk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        sk = None
    if not isinstance(sk, str):
        raise InvalidRequestError("The cursor is not valid.", code="invalid_cursor")
    return sk


def check_values(op: TransactOp) -> None:
    """Refuse values DynamoDB could not store either (floats, odd types)."""
    if isinstance(op, Put):
        check_value(op.item)
    elif isinstance(op, Update):
        check_value(dict(op.set))


def check_op_values(op: TransactOp) -> None:
    check_op(op)
    check_values(op)


def holds(item: Item | None, cond: Condition | None) -> bool:
    if cond is None:
        return True
    if cond.exists is not None and cond.exists != (item is not None):
        return False
    for attr, value in cond.equals.items():
        if item is None or attr not in item or not same(item[attr], value):
            return False
    for attr, values in cond.one_of.items():
        if item is None or attr not in item or not any(same(item[attr], v) for v in values):
            return False
    return True


def updated(current: Item | None, op: Update) -> Item:
    item: Item = dict(current) if current is not None else {"pk": op.pk, "sk": op.sk}
    item.update(op.set)
    for attr, n in op.add.items():
        old = item.get(attr, 0)
        if isinstance(old, bool) or not isinstance(old, int):
            raise ValueError(f"cannot add to the non-integer attribute {attr!r}")
        item[attr] = old + n
    for attr in op.remove:
        item.pop(attr, None)
    return item
