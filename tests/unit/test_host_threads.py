"""The single-machine host serves requests on many threads, while Chalice keeps the
request being served in one attribute of the app: the host gives each thread its own, so
one agency can never be answered from another's request."""

from __future__ import annotations

import threading

from chalice import Chalice

from infra.local.host import _requests_per_thread


def test_each_thread_sees_only_the_request_it_set() -> None:
    app = Chalice(app_name="threads")
    _requests_per_thread(app)
    _requests_per_thread(app)  # idempotent
    both_set = threading.Barrier(2)
    seen: dict[str, object] = {}

    def serve(name: str) -> None:
        app.current_request = name  # type: ignore[assignment]
        both_set.wait(timeout=10)  # the other thread has set its own by now
        seen[name] = app.current_request

    threads = [threading.Thread(target=serve, args=(n,)) for n in ("unit-a", "unit-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert seen == {"unit-a": "unit-a", "unit-b": "unit-b"}
    assert app.current_request is None  # the main thread set nothing
