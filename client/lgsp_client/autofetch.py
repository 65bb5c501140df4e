"""Unattended fetching for `lgsp watch --auto-fetch DIR`.

Each announced message is downloaded, verified and confirmed by `fetch_file`, the code of
`lgsp fetch`, one at a time and in the order announced. The work runs on its own thread so
that a long download never keeps the WebSocket from sending its heartbeats.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from lgsp_client.api import LgspClient
from lgsp_client.errors import LgspError, describe
from lgsp_client.exchange import fetch_file
from lgsp_client.render import fetched_line, fetched_record

Task = str | Callable[[], None] | None


class AutoFetcher:
    """A queue of message ids and the one worker thread that fetches them.

    `emit` gets one line per message fetched (text, or a JSON object with `as_json`);
    `note` gets one line per message that failed. A failure never stops the worker.
    """

    def __init__(self, client: LgspClient, directory: Path, *, emit: Callable[[str], None],
                 note: Callable[[str], None], as_json: bool = False,
                 progress: bool = False) -> None:
        self._client = client
        self._directory = directory
        self._emit = emit
        self._note = note
        self._as_json = as_json
        self._progress = progress
        self._queue: queue.Queue[Task] = queue.Queue()
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name="lgsp-auto-fetch", daemon=True)
        self.current: str | None = None

    def start(self) -> None:
        self._thread.start()

    def offer(self, message_id: str) -> bool:
        """Queue a message unless this process already took it: a summary after a
        reconnect lists again what still waits, and a push may repeat what a summary
        listed. A message that failed is not retried either; `lgsp fetch` can."""
        with self._lock:
            if not message_id or message_id in self._seen:
                return False
            self._seen.add(message_id)
        self._queue.put(message_id)
        return True

    def then(self, callback: Callable[[], None]) -> None:
        """Call `callback` on the worker once everything queued so far is done, provided
        at least one of those messages was fetched (so a list that only repeats failures
        cannot loop)."""
        self._queue.put(callback)

    def close(self, *, finish: bool) -> None:
        """Stop the worker: after the queue is done (`finish`), or after the message in
        hand (the rest are dropped; the hub keeps them for the next run)."""
        if not finish:
            self._drop_queued()
        self._queue.put(None)
        if self._thread.is_alive():
            if self.current:
                self._note(f"waiting for {self.current} to finish (Ctrl-C again to abandon it)")
            self._thread.join()

    def _drop_queued(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _work(self) -> None:
        fetched = 0
        while (task := self._queue.get()) is not None:
            if isinstance(task, str):
                fetched += self._fetch(task)
            else:
                if fetched:
                    task()
                fetched = 0

    def _fetch(self, message_id: str) -> bool:
        """Fetch, verify and confirm one message; report the outcome either way."""
        self.current = message_id
        try:
            result = fetch_file(self._client, message_id, self._directory,
                                progress=self._progress, keep_both=True)
        except LgspError as exc:
            self._note(f"{message_id}: error: {describe(exc)}")
            return False
        except OSError as exc:
            self._note(f"{message_id}: error: io: {exc.strerror or exc}")
            return False
        except Exception as exc:  # the watch must outlive any one message
            self._note(f"{message_id}: error: unexpected: {type(exc).__name__}")
            return False
        finally:
            self.current = None
        if self._as_json:
            self._emit(json.dumps(fetched_record(message_id, result), ensure_ascii=False))
        else:
            self._emit(fetched_line(result))
        return True
