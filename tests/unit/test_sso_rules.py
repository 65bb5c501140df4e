"""The pure rules of people's accounts and of the SSO provider (R-COMP-6, R-SSO-1)."""

from __future__ import annotations

import pytest

from chalicelib.domain import oidc, people as rules

DOMAIN = "bacgiang.gov.vn"


@pytest.mark.parametrize(("typed", "expected"), [
    ("lan@000.00.31.H99", ("lan", "000.00.31.H99")),
    ("Lan@000.00.31.H99@BacGiang.gov.vn", ("lan", "000.00.31.H99")),
    (" lan@000.00.31.H99 ", ("lan", "000.00.31.H99")),
    ("lan@000.00.31.H99@other.gov.vn", None),
    ("lan", None), ("@000.00.31.H99", None), ("lan@", None), ("1an@000.00.31.H99", None),
    ("lan@000 00@bacgiang.gov.vn", None),
])
def test_what_a_person_types_as_their_account(typed: str,
                                              expected: tuple[str, str] | None) -> None:
    found = rules.parse_account(typed, DOMAIN)
    assert (None if found is None else (found.username, found.unit)) == expected


def test_the_account_is_user_at_the_unit_account() -> None:
    assert rules.account("lan", "000.00.31.H99", DOMAIN) == "lan@000.00.31.H99@bacgiang.gov.vn"


@pytest.mark.parametrize(("password", "refused"), [
    ("ngắn", True), ("x" * 129, True), ("Lan-2026-mat-khau", True), ("aaaaaaaaaaaa", True),
    ("Hoa sen nở tháng Sáu", False),
])
def test_the_password_policy(password: str, refused: bool) -> None:
    assert (rules.password_problem(password, "lan") is not None) is refused


def test_five_failures_lock_for_a_while_then_counting_starts_again() -> None:
    failures = rules.Failures()
    for _ in range(rules.MAX_FAILURES - 1):
        failures = failures.after_failure(1000)
        assert not failures.locked(1000)
    failures = failures.after_failure(1000)
    assert failures.locked(1000) and failures.locked(1000 + rules.LOCK_SECONDS - 1)
    assert not failures.locked(1000 + rules.LOCK_SECONDS) and failures.count == 0


def test_who_needs_a_second_factor_and_who_may_be_an_operator() -> None:
    assert rules.needs_second_factor(["unit_admin"]) and rules.needs_second_factor(["sso_admin"])
    assert not rules.needs_second_factor(["member"])
    assert rules.allowed_roles(["operator"], operator_unit=False)
    assert rules.allowed_roles(["operator"], operator_unit=True) is None
    assert rules.allowed_roles(["boss"], operator_unit=True)
    assert rules.allowed_roles([], operator_unit=True)


def test_only_the_hubs_own_clients_get_the_admin_scope() -> None:
    asked = "openid profile lgsp:admin made-up openid"
    assert oidc.allowed_scope(asked, first_party=False) == "openid profile"
    assert oidc.allowed_scope(asked, first_party=True) == "openid profile lgsp:admin"


@pytest.mark.parametrize(("url", "allow_http", "ok"), [
    ("https://qlvb.bacgiang.gov.vn/callback", False, True),
    ("http://127.0.0.1:8080/callback", False, True),
    ("http://qlvb.bacgiang.gov.vn/callback", False, False),
    ("http://qlvb.bacgiang.gov.vn/callback", True, True),
    ("https://qlvb.bacgiang.gov.vn/cb#frag", False, False),
    ("https://user:pw@qlvb.bacgiang.gov.vn/cb", False, False),
    ("javascript:alert(1)", True, False),
    ("https:///cb", False, False),
])
def test_the_urls_an_app_may_register(url: str, allow_http: bool, ok: bool) -> None:
    assert (oidc.url_problem(url, allow_http=allow_http) is None) is ok


def test_a_redirect_uri_matches_exactly() -> None:
    uris = ["https://a.example/cb"]
    assert oidc.registered("https://a.example/cb", uris)
    for near in ("https://a.example/cb/", "https://a.example/cb?x=1", "https://a.example/c",
                 "HTTPS://a.example/cb", None):
        assert not oidc.registered(near, uris)


def test_a_logout_token_has_the_event_and_no_nonce() -> None:
    claims = oidc.logout_claims(issuer="https://h/sso", client_id="sso-1", sub="p-1",
                                sid="s-1", now=100, jti="j")
    assert claims["events"] == {oidc.BACKCHANNEL_EVENT: {}} and "nonce" not in claims
    assert claims["aud"] == "sso-1" and claims["exp"] > claims["iat"]
