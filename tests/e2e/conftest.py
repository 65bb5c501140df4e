"""A real single-machine hub (`python -m infra.local.host`) with SeaweedFS and SQLite,
started in a temporary `var/` on free loopback ports, reached over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from infra.local.launcher import ROOT, LocalHub, free_port, host_in

__all__ = ["ROOT", "LocalHub", "free_port", "host_in", "started_hub"]


@contextmanager
def started_hub(var: Path) -> Iterator[LocalHub]:
    """A host keeping its data under `var`, started, and stopped on exit."""
    hub = host_in(var)
    hub.start()
    try:
        yield hub
    finally:
        if hub.proc is not None:
            hub.stop()


@pytest.fixture(scope="session")
def local_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
    with started_hub(tmp_path_factory.mktemp("hub") / "var") as hub:
        yield hub
