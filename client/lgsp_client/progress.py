"""Progress of a transfer on stderr: a live bar on a terminal, plain lines in a log.

On a terminal `tqdm` draws one bar with throughput. When stderr is a pipe or a file
(a service's journal, a cron log), a bar would be invisible or a mess of carriage
returns, so a line like `upload 45% 115.2 MiB of 256.0 MiB 35.1 MiB/s` is printed at
every 10 % and at least every `every` seconds, and once at the end.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Protocol, TextIO

from tqdm import tqdm

LOG_EVERY_SECONDS = 10.0
LOG_STEP_PERCENT = 10


class Meter(Protocol):
    """Counts bytes done; safe to call from several threads."""

    def update(self, n: int) -> None: ...

    def __enter__(self) -> Meter: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


def _mib(n: float) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


class Silent:
    """No output (`--no-progress`)."""

    def update(self, n: int) -> None:
        return None

    def __enter__(self) -> Silent:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None


class LogLines:
    """Periodic progress lines for a stream that is not a terminal.

    A line is printed when the done share crosses the next `step` percent, or when
    `every` seconds passed since the last line, and a last one at 100 % on a clean end.
    The rate counts only bytes moved by this run (not `initial`, e.g. skipped parts).
    """

    def __init__(self, total: int, desc: str, stream: TextIO, *, initial: int = 0,
                 every: float = LOG_EVERY_SECONDS, step: int = LOG_STEP_PERCENT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.desc, self.stream = total, desc, stream
        self.done, self._initial = initial, initial
        self._every, self._step, self._clock = every, step, clock
        self._lock = threading.Lock()
        self._start = self._last = clock()
        self._next_percent = (self._percent() // step + 1) * step
        self._printed_percent = -1

    def _percent(self) -> int:
        return 100 if self.total <= 0 else min(100, self.done * 100 // self.total)

    def _line(self, now: float) -> None:
        elapsed = now - self._start
        rate = (self.done - self._initial) / elapsed if elapsed > 0 else 0.0
        percent = self._percent()
        print(f"{self.desc} {percent}% {_mib(self.done)} of {_mib(self.total)} "
              f"{_mib(rate)}/s", file=self.stream, flush=True)
        self._last, self._printed_percent = now, percent
        self._next_percent = (percent // self._step + 1) * self._step

    def update(self, n: int) -> None:
        with self._lock:
            self.done += n
            now = self._clock()
            if self._percent() >= self._next_percent or now - self._last >= self._every:
                self._line(now)

    def __enter__(self) -> LogLines:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        with self._lock:
            if exc_type is None and self._printed_percent < 100 and self._percent() == 100:
                self._line(self._clock())


class Bar:
    """tqdm's bar (for a terminal)."""

    def __init__(self, total: int, desc: str, stream: TextIO, initial: int = 0) -> None:
        self._bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True,
                         unit_divisor=1024, leave=False, dynamic_ncols=True, file=stream,
                         initial=initial)
        self._lock = threading.Lock()

    def update(self, n: int) -> None:
        with self._lock:
            self._bar.update(n)

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._bar.close()


def meter(total: int, desc: str, enabled: bool, *, initial: int = 0,
          stream: TextIO | None = None) -> Meter:
    """The progress display for `desc` (`upload`, `download`, `hashing`) on `stream`
    (stderr): nothing if not `enabled`, a bar on a terminal, else periodic lines."""
    if not enabled:
        return Silent()
    out = stream if stream is not None else sys.stderr
    isatty = getattr(out, "isatty", None)
    if isatty is not None and isatty():
        return Bar(total, desc, out, initial)
    return LogLines(total, desc, out, initial=initial)
