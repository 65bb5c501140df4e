"""The edXML calls of `LgspClient` (the hub's docs/edxml.md):

    with open("pkg.xml", "rb") as f:
        answer = client.check_edxml(cut_header(f).document, to=["000.00.01.H30"])
    answer["valid"], answer["problems"], answer["message"]["title"]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import requests

JSON = dict[str, Any]


class _Transport(Protocol):
    def url(self, path: str, query: Iterable[tuple[str, str]] = ()) -> str: ...

    def _exchange(self, method: str, url: str, body: bytes | None,
                  headers: Mapping[str, str], *, signed: bool, retry: bool
                  ) -> requests.Response: ...


class EdxmlCalls:
    """Mixed into `LgspClient`."""

    def check_edxml(self: _Transport, document: bytes, to: Sequence[str] = ()) -> JSON:
        """The hub's check of a package's header (`edxml_header.cut_header`; a whole small
        package also does): `{valid, problems, header, message}`. `to`: the destinations
        meant (every To must be among them). Nothing is stored, so it is retried.
        A document the hub will not read is LgspApiError 400 `edxml_unsafe_xml`,
        `edxml_not_well_formed` or `edxml_limit_exceeded`, with `details["element"]`."""
        url = self.url("/v1/edxml/check", [("to", code) for code in to])
        response = self._exchange("POST", url, document, {
            "Accept": "application/json", "Content-Type": "application/xml"},
            signed=True, retry=True)
        return dict(response.json())
