"""The single-machine host's route matcher answers as chalice's local one does (the route,
its captured path parameters, the query), for every route the hub declares and for paths
none declares: it only does so with less work per request."""

from __future__ import annotations

import re

import pytest
from chalice.local import RouteMatcher

from app import app
from infra.local.routes import IndexedRouteMatcher

ROUTES = sorted(app.routes)


Answer = tuple[str, dict[str, str], dict[str, list[str]]] | None


def answer(matcher: RouteMatcher, url: str) -> Answer:
    try:
        found = matcher.match_route(url)
    except ValueError:
        return None
    return found.route, found.captured, found.query_params


def concrete(route: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, route)


@pytest.fixture(scope="module")
def matchers() -> tuple[RouteMatcher, IndexedRouteMatcher]:
    return RouteMatcher(list(app.routes)), IndexedRouteMatcher(list(app.routes))


@pytest.mark.parametrize("value", ["01HXYZ", "search", "v1", "me"])
def test_every_declared_route_matches_as_chalice_matches_it(
        matchers: tuple[RouteMatcher, IndexedRouteMatcher], value: str) -> None:
    chalice_matcher, indexed = matchers
    for route in ROUTES:
        for url in (concrete(route, value), concrete(route, value) + "/",
                    concrete(route, value) + "?limit=5&cursor=a%20b&flag"):
            assert answer(indexed, url) == answer(chalice_matcher, url), url
            assert answer(indexed, url) is not None, url


@pytest.mark.parametrize("url", ["/", "/v1", "/v1/nothing-here", "/v2/messages",
                                 "/v1/messages/a/b/c/d/e/f/g/h/i/j/k", "//v1/messages",
                                 "/v1/messages//complete", "/V1/MESSAGES", "/v1/inbox/?x=1"])
def test_paths_no_route_declares_are_refused_alike(
        matchers: tuple[RouteMatcher, IndexedRouteMatcher], url: str) -> None:
    chalice_matcher, indexed = matchers
    assert answer(indexed, url) == answer(chalice_matcher, url)


def test_a_concrete_segment_wins_over_a_capture_as_in_the_sorted_order() -> None:
    routes = ["/a/{x}/b", "/a/c/{y}", "/a/{x}", "/a/c", "/u/{code}", "/u/{unit}/apps"]
    chalice_matcher, indexed = RouteMatcher(routes), IndexedRouteMatcher(routes)
    for url in ("/a/c/b", "/a/c", "/a/d", "/a/d/b", "/a/c/z", "/u/X", "/u/X/apps", "/a"):
        assert answer(indexed, url) == answer(chalice_matcher, url), url
