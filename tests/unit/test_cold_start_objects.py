"""The object store's S3 client is built by the first call that uses the store, not by the
cold start (R-PROP-5, P5b in docs/performance.md): listing an inbox never touches the
store, and building a boto3 S3 client costs a cold function tens of milliseconds."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from bench import cold_start
from chalicelib.adapters.objects_s3 import S3ObjectStore

# Counts the boto3 clients the probe builds, by service name, and prints them last.
COUNTING = """\
import botocore.session
_made = []
_create = botocore.session.Session.create_client
def _counting(self, service_name, *args, **kwargs):
    _made.append(service_name)
    return _create(self, service_name, *args, **kwargs)
botocore.session.Session.create_client = _counting
"""


def test_the_first_signed_inbox_call_builds_no_s3_client(tmp_path: Path) -> None:
    from lgsp_client.signing import LgspAuth

    env, creds = cold_start.first_request_environment(tmp_path)
    auth = LgspAuth(creds.access_key, creds.secret_key)
    headers = {"Host": cold_start.HOST,
               **auth.sign_headers("GET", f"https://{cold_start.HOST}/prod/v1/inbox")}
    code = COUNTING + cold_start.FIRST_REQUEST + "print(json.dumps({'clients': _made}))\n"
    out, _ = cold_start._probe(code, env, json.dumps(headers))
    assert out["clients"] == []


class _Client:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def delete_object(self, **kwargs: Any) -> None:
        self.deleted.append(kwargs["Key"])


def test_the_client_is_made_on_first_use_once_whatever_the_threads() -> None:
    made: list[_Client] = []
    start = threading.Barrier(8)

    def make() -> _Client:
        made.append(_Client())
        return made[-1]

    store = S3ObjectStore.on_first_use(make, "b")
    assert made == []  # building the store made nothing

    def delete(n: int) -> None:
        start.wait()
        store.delete(f"k{n}")

    threads = [threading.Thread(target=delete, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1
    assert sorted(made[0].deleted) == [f"k{n}" for n in range(8)]


def test_a_client_that_cannot_be_made_fails_the_call_that_needs_it_each_time() -> None:
    """The error a bad setting raised at start is raised by each use instead, and a
    later use tries again (nothing half-built is kept)."""
    tries: list[int] = []

    def make() -> _Client:
        tries.append(1)
        if len(tries) == 1:
            raise ValueError("Invalid endpoint: nowhere")
        return _Client()

    store = S3ObjectStore.on_first_use(make, "b")
    with pytest.raises(ValueError, match="Invalid endpoint"):
        store.delete("k")
    store.delete("k")
    assert len(tries) == 2
