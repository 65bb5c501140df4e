"""The exchange flow again, on the embedded table (SQLite) and a real S3-compatible store
(SeaweedFS), which checks presigned signatures and checksums where moto checks nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.adapters.objects_s3 import S3ObjectStore
from chalicelib.adapters.table_sqlite import SqliteTable
from tests.integration.test_exchange_flow import (  # noqa: F401  (collected here too)
    test_a_destination_sees_only_its_own_delivery,
    test_an_expired_idempotency_key_starts_a_new_message,
    test_confirm_twice_is_harmless,
    test_idempotent_create_returns_the_same_message,
    test_inbox_is_ordered_by_priority_then_age,
    test_multipart_to_two_destinations_one_confirms_one_rejects,
    test_object_created_event_verifies_without_complete,
    test_single_put_exchange_from_request_to_deletion,
)
from tests.support.fakes import FakeClock
from tests.support.hub import World, make_deps, world

pytestmark = pytest.mark.e2e


@pytest.fixture
def hub(s3_store: S3ObjectStore, tmp_path: Path) -> Iterator[World]:
    clock = FakeClock()
    table = SqliteTable(str(tmp_path / "table.sqlite3"), clock=clock.now)
    yield from world(make_deps(table, s3_store, clock))
