"""The proxy's pure rules (`domain/proxy.py`, docs/catalogue.md "Proxy mode"): a path
cannot climb out of the service's base URL or split a header, the caller's credentials
and hop-by-hop headers never reach the service, the hub's identity headers cannot be
forged, and the rate window."""

from __future__ import annotations

import pytest

from chalicelib.domain import proxy
from chalicelib.domain.errors import InvalidRequestError


@pytest.mark.parametrize("segments", [[".."], ["a", "..", "b"], ["."], [""], ["a\r\nX: 1"],
                                      ["a\x00"]])
def test_a_path_that_escapes_or_splits_is_refused(segments: list[str]) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        proxy.forward_path(segments)
    assert caught.value.code == "invalid_proxy_path"


def test_segments_are_encoded_again_so_no_host_or_scheme_can_be_named() -> None:
    path = proxy.forward_path(["http:", "@evil.example", "a/../b", "thửa đất", "x?y#z"])
    assert path == "/http:/@evil.example/a%2F..%2Fb/th%E1%BB%ADa%20%C4%91%E1%BA%A5t/x%3Fy%23z"
    assert proxy.target_url("https://dest.example.vn/api/", path, "b=1") == \
        "https://dest.example.vn/api" + path + "?b=1"
    assert proxy.forward_query({"q": ["thửa đất", "&x=1"]}) == \
        "q=th%E1%BB%ADa%20%C4%91%E1%BA%A5t&q=%26x%3D1"


def test_credentials_hop_by_hop_and_forged_identity_are_dropped() -> None:
    sent = {"Signature": "s", "Signature-Input": "i", "Authorization": "Bearer t",
            "Cookie": "c", "Connection": "close, X-Secret", "X-Secret": "v",
            "Transfer-Encoding": "chunked", "Host": "lgsp", "Content-Digest": "d",
            "lgsp-caller-unit": "000.00.09.H99", "X-Forwarded-For": "1.2.3.4",
            "X-Amzn-Trace-Id": "t", "Accept-Encoding": "gzip", "Content-Type": "text/plain",
            "If-None-Match": '"v1"', "X-Trace": "t1"}
    assert proxy.forwarded_headers(sent) == {"content-type": "text/plain",
                                             "if-none-match": '"v1"', "x-trace": "t1"}


def test_body_bound_rate_window_and_what_counts_as_failed() -> None:
    proxy.check_body(proxy.MAX_BODY)
    with pytest.raises(proxy.ProxyBodyTooLargeError):
        proxy.check_body(proxy.MAX_BODY + 1)
    assert proxy.window(120) == proxy.window(179) != proxy.window(180)
    assert proxy.retry_after(120) == 60 and proxy.retry_after(179) == 1
    assert [proxy.failed(s) for s in (None, 200, 404, 500, 503)] == \
        [True, False, False, True, True]


def test_a_grants_usage_reads_as_both_sides_see_it() -> None:
    _, provider = proxy.usage(sent=11, got=40, status=503)
    assert proxy.usage_figures(provider) == {"calls": 1, "failures": 1,
                                             "request_bytes": 11, "answer_bytes": 40}
    assert proxy.usage_figures(None) == {"calls": 0, "failures": 0, "request_bytes": 0,
                                         "answer_bytes": 0}
