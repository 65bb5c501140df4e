"""A stdout that is not a terminal and has a binary side, as a redirect to a file: what
the CLI writes to a pipe, text and bytes alike (`lgsp report --csv`, `lgsp services
call` of a binary answer)."""

from __future__ import annotations

import io


class Pipe(io.TextIOWrapper):
    def __init__(self) -> None:
        self.raw_bytes = io.BytesIO()
        super().__init__(self.raw_bytes, encoding="utf-8")

    def written(self) -> bytes:
        self.flush()
        return self.raw_bytes.getvalue()
