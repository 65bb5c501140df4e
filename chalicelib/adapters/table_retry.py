"""Retries of writes that met contention, over any `Table`.

DynamoDB cancels a transaction that touches an item another transaction is writing, and
refuses a single write to such an item, whatever their conditions; it throttles a hot
partition the same way. Nothing was written then, so the same write is tried again after
a short, jittered, growing pause (tenacity's exponential back-off with full jitter). A
write still contended after every attempt raises `ContentionError`, which the API answers
as 503 `busy` (safe to retry): contention is never reported as a failed condition.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential as jittered,
)

from chalicelib.domain.errors import ContentionError
from chalicelib.domain.ports import Condition, Item, Page, Table, TransactOp, Update

T = TypeVar("T")
ATTEMPTS = 8  # pauses of up to 0.01, 0.02, ... 0.5 s: about 1.5 s in the worst case


class RetryingTable:
    """`Table` that retries contended writes; reads pass straight through."""

    def __init__(self, inner: Table, *, attempts: int = ATTEMPTS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.inner = inner
        self._retrying = Retrying(
            stop=stop_after_attempt(attempts), wait=jittered(multiplier=0.01, max=0.5),
            retry=retry_if_exception_type(ContentionError), sleep=sleep, reraise=True)

    def _write(self, call: Callable[..., T], *args: Any) -> T:
        return self._retrying(call, *args)

    def get(self, pk: str, sk: str) -> Item | None:
        return self.inner.get(pk, sk)

    def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Item | None]:
        return self.inner.get_many(keys)

    def query(self, pk: str, **kw: Any) -> Page:
        return self.inner.query(pk, **kw)

    def put(self, item: Item, condition: Condition | None = None) -> None:
        self._write(self.inner.put, item, condition)

    def update(self, op: Update) -> Item:
        return self._write(self.inner.update, op)

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None:
        self._write(self.inner.delete, pk, sk, condition)

    def transact(self, ops: Sequence[TransactOp]) -> None:
        self._write(self.inner.transact, ops)
