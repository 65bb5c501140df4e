"""A real single-machine hub (`python -m infra.local.host`) with SeaweedFS and SQLite,
started in a temporary `var/` on free loopback ports, reached over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.local.launcher import ROOT, LocalHub, free_port, host_in

__all__ = ["ROOT", "LocalHub", "free_port", "host_in"]


@pytest.fixture(scope="session")
def local_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
    hub = host_in(tmp_path_factory.mktemp("hub") / "var")
    hub.start()
    try:
        yield hub
    finally:
        if hub.proc is not None:
            hub.stop()
