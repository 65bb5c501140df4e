"""A table that cancels concurrent writes on a shared item as DynamoDB does.

DynamoDB runs each TransactWriteItems under item-level isolation: a transaction that
touches an item another transaction is still writing is cancelled with the reason
`TransactionConflict` (whatever its conditions), and a single write to such an item fails
with `TransactionConflictException`. SQLite and moto serialise writes instead, so they
never show it. `ContendedTable` wraps any table and adds exactly that, through the same
classification of cancellation reasons the DynamoDB adapter uses.

`arm(N, joins)` makes the next N transactions for which `joins(ops)` holds wait for each
other (a barrier), check their items for conflicts together, and only then write: N
requests made on N threads are then truly in flight at once, without timing in the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from chalicelib.adapters.table_checks import cancellation, target
from chalicelib.domain.errors import ContentionError
from chalicelib.domain.ports import Condition, Item, Page, TransactOp, Update

Ops = Sequence[TransactOp]


class Wave:
    """N transactions held until all N are in flight, then checked for conflicts together."""

    def __init__(self, size: int, joins: Callable[[Ops], bool], timeout: float) -> None:
        self.joins = joins
        self.left = size
        self.cancelled = 0
        self.arrive = threading.Barrier(size, timeout=timeout)
        self.settle = threading.Barrier(size, timeout=timeout)


class ContendedTable:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cancelled = 0  # transactions and writes refused for contention
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str], object] = {}
        self._waves: list[Wave] = []

    def arm(self, size: int, joins: Callable[[Ops], bool], timeout: float = 30.0) -> Wave:
        """Hold the next `size` transactions matching `joins` until all are in flight."""
        wave = Wave(size, joins, timeout)
        with self._lock:
            self._waves.append(wave)
        return wave

    # reads pass through
    def get(self, pk: str, sk: str) -> Item | None:
        return self.inner.get(pk, sk)  # type: ignore[no-any-return]

    def get_many(self, keys: Any) -> list[Item | None]:
        return self.inner.get_many(keys)  # type: ignore[no-any-return]

    def query(self, pk: str, **kw: Any) -> Page:
        return self.inner.query(pk, **kw)  # type: ignore[no-any-return]

    # single writes fail on an item a transaction holds
    def _single(self, key: tuple[str, str]) -> None:
        with self._lock:
            if key in self._held:
                self.cancelled += 1
                raise ContentionError("TransactionConflictException")

    def put(self, item: Item, condition: Condition | None = None) -> None:
        self._single((item["pk"], item["sk"]))
        self.inner.put(item, condition)

    def update(self, op: Update) -> Item:
        self._single((op.pk, op.sk))
        return self.inner.update(op)  # type: ignore[no-any-return]

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None:
        self._single((pk, sk))
        self.inner.delete(pk, sk, condition)

    def _join(self, ops: Ops) -> Wave | None:
        with self._lock:
            for wave in self._waves:
                if wave.left > 0 and wave.joins(ops):
                    wave.left -= 1
                    return wave
        return None

    def transact(self, ops: Ops) -> None:
        keys = [target(op) for op in ops]
        wave = self._join(ops)
        if wave is not None:
            wave.arrive.wait()
        token = object()
        with self._lock:
            busy = [key in self._held for key in keys]
            if not any(busy):
                for key in keys:
                    self._held[key] = token
        if wave is not None:
            wave.settle.wait()
        if any(busy):
            with self._lock:
                self.cancelled += 1
                if wave is not None:
                    wave.cancelled += 1
            raise cancellation(["TransactionConflict" if b else "" for b in busy])
        try:
            self.inner.transact(ops)
        finally:
            with self._lock:
                for key in keys:
                    if self._held.get(key) is token:
                        del self._held[key]
