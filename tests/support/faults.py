"""Backends that fail on cue: every call to the table, the object store and the topic is
counted, and the one with a chosen number fails once, either before it reaches the
backend (nothing happened) or after (it happened, but the answer was lost, as when a
connection drops after a commit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WRITES = {"put", "update", "delete", "transact", "create_multipart", "complete_multipart",
          "abort_multipart", "publish"}


class InjectedFault(OSError):
    """The backend did not answer (a dropped connection, a crashed node)."""


@dataclass
class FaultPlan:
    fail_at: int | None = None  # the call number that fails (None: count only)
    after: bool = False  # fail after the backend did the work
    calls: list[str] = field(default_factory=list)
    failed: str | None = None
    armed: bool = False  # calls before (the test's setup) are not counted

    def call(self, name: str, work: Callable[[], Any]) -> Any:
        if not self.armed:
            return work()
        number = len(self.calls)
        self.calls.append(name)
        if number != self.fail_at:
            return work()
        self.failed = name
        if self.after:
            work()
        raise InjectedFault(f"injected failure of {name} (call {number}, "
                            f"{'after' if self.after else 'before'} the backend)")


class Faulty:
    """Wraps a table, an object store or a topic; every public method goes through the
    plan under the name `<what>.<method>`."""

    def __init__(self, what: str, inner: Any, plan: FaultPlan) -> None:
        self._what, self._inner, self._plan = what, inner, plan

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name.startswith("_") or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._plan.call(f"{self._what}.{name}", lambda: attr(*args, **kwargs))
        return call
