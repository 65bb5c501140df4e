"""GET a URL outside the hub as a stream (standard library only): another hub's store,
through the presigned GET it handed over, for a relayed message the hub copies into its
own store (docs/federation.md, "Which path the bytes take"). Redirects are not followed,
connecting and each read have a timeout, and the body is read a chunk at a time."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

from chalicelib.adapters.http_out import no_redirects

CONNECT_AND_READ_SECONDS = 30


class UrllibDownloads:
    def get(self, url: str, headers: dict[str, str], *, chunk_size: int = 1 << 20
            ) -> Iterator[bytes]:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise OSError("not an http(s) URL")
        request = urllib.request.Request(url, headers=headers, method="GET")
        try:
            answer = no_redirects.open(request, timeout=CONNECT_AND_READ_SECONDS)
        except urllib.error.HTTPError as exc:
            raise OSError(f"the store answered {exc.code}") from exc
        with answer:
            if answer.status != 200:
                raise OSError(f"the store answered {answer.status}")
            while chunk := answer.read(chunk_size):
                yield chunk
