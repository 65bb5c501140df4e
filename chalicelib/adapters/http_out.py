"""Outbound HTTP from the hub to apps (back-channel logout), standard library only.

Redirects are not followed (a 3xx is the answer), the answer's body is not read beyond a
small limit, and every call has a timeout: an app that hangs cannot hold the hub.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

_MAX_ANSWER = 64 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)
no_redirects = _opener  # an opener that answers a 3xx instead of following it


class UrllibPoster:
    def post_form(self, url: str, fields: Mapping[str, str], *, timeout: float) -> int:
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise OSError(f"not an http(s) URL: {scheme}")
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cache-Control": "no-store"})
        try:
            with _opener.open(request, timeout=timeout) as answer:
                answer.read(_MAX_ANSWER)
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except urllib.error.URLError as exc:
            raise OSError(str(exc.reason)) from exc
