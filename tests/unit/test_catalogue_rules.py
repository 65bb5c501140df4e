"""Pure rules of the service catalogue (R-COMP-3, R-JOIN-3): states, the OpenAPI check,
document packing, scopes, visibility and accent-insensitive matching."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain import catalogue as rules
from chalicelib.domain.errors import (
    ConflictError,
    InvalidRequestError,
    PayloadTooLargeError,
)

GOOD = {"openapi": "3.1.0", "info": {"title": "Sổ địa chính", "version": "1"},
        "paths": {"/parcels": {}}}


@pytest.mark.parametrize(("action", "start", "end"), [
    ("approve", "pending", "listed"), ("refuse", "pending", "refused"),
    ("withdraw", "pending", "withdrawn"), ("withdraw", "listed", "withdrawn")])
def test_entry_moves(action: str, start: str, end: str) -> None:  # R-COMP-3
    assert rules.entry_move(action, start) == end


@pytest.mark.parametrize(("action", "start"), [
    ("approve", "listed"), ("approve", "refused"), ("refuse", "listed"),
    ("withdraw", "refused"), ("withdraw", "withdrawn")])
def test_entry_moves_refused(action: str, start: str) -> None:
    with pytest.raises(ConflictError) as err:
        rules.entry_move(action, start)
    assert err.value.code == "catalogue_state_conflict" and start in err.value.message


@pytest.mark.parametrize(("action", "start", "end"), [
    ("grant", "pending", "granted"), ("refuse", "pending", "refused"),
    ("revoke", "granted", "revoked"), ("change_rate", "granted", "granted")])
def test_request_moves(action: str, start: str, end: str) -> None:  # R-JOIN-3
    assert rules.request_move(action, start) == end


@pytest.mark.parametrize(("action", "start"), [
    ("grant", "granted"), ("grant", "revoked"), ("revoke", "pending"),
    ("revoke", "revoked"), ("refuse", "granted"), ("change_rate", "pending"),
    ("change_rate", "revoked"), ("change_rate", "refused")])
def test_request_moves_refused(action: str, start: str) -> None:
    with pytest.raises(ConflictError) as err:
        rules.request_move(action, start)
    assert err.value.code == "access_state_conflict"


def test_a_good_openapi_document_parses() -> None:
    assert rules.check_openapi(json.dumps(GOOD)) == GOOD


@pytest.mark.parametrize("raw", [
    "not json", "[1, 2]", json.dumps({**GOOD, "openapi": "2.0"}),
    json.dumps({"swagger": "2.0", "info": GOOD["info"], "paths": {}}),
    json.dumps({**GOOD, "openapi": 3.1}), json.dumps({**GOOD, "info": {"title": "x"}}),
    json.dumps({**GOOD, "paths": {"parcels": {}}}), json.dumps({**GOOD, "paths": []}),
    json.dumps({k: v for k, v in GOOD.items() if k != "paths"})])
def test_bad_openapi_documents_are_refused(raw: str) -> None:
    with pytest.raises(InvalidRequestError) as err:
        rules.check_openapi(raw)
    assert err.value.code == "invalid_openapi"


def test_an_openapi_document_over_1_mib_is_refused() -> None:
    big = json.dumps({**GOOD, "x-pad": "a" * rules.MAX_DOCUMENT_BYTES})
    with pytest.raises(PayloadTooLargeError) as err:
        rules.check_openapi(big)
    assert err.value.code == "openapi_too_large" and err.value.status == 413


def test_documents_pack_into_parts_that_fit_an_item_and_back() -> None:
    import secrets
    doc = {**GOOD, "x-noise": secrets.token_hex(400_000)}  # hardly compressible
    parts = rules.pack_document(doc)
    assert len(parts) > 1 and all(len(p) <= rules.PART_CHARS for p in parts)
    assert rules.unpack_document(parts) == doc


def test_scopes_default_to_every_declared_one() -> None:
    assert rules.scopes_for(None, ["write", "read"]) == ["read", "write"]
    assert rules.scopes_for(None, []) == [rules.DEFAULT_SCOPE]
    assert rules.scopes_for(["read"], ["read", "write"]) == ["read"]
    with pytest.raises(InvalidRequestError) as err:
        rules.scopes_for(["admin"], ["read"])
    assert err.value.code == "unknown_scope"


def test_who_sees_what() -> None:
    assert rules.may_see("listed", "U1", unit="U2", operator=False)
    assert not rules.may_see("pending", "U1", unit="U2", operator=False)
    assert rules.may_see("pending", "U1", unit="U1", operator=False)
    assert rules.may_see("refused", "U1", unit="U2", operator=True)
    assert rules.may_decide_access("U1", unit="U1", operator=False)
    assert rules.may_decide_access("U1", unit="U3", operator=True)
    assert not rules.may_decide_access("U1", unit="U2", operator=False)


def test_search_ignores_diacritics_case_and_word_ends() -> None:  # like the directory
    words = rules.searchable_words("Tra cứu thửa đất", "Dữ liệu địa chính", ["Đất đai"],
                                   "000.00.02.H99", "land-records")
    assert rules.matches(rules.query_words("THUA dat"), words)
    assert rules.matches(rules.query_words("dia ch"), words)
    assert rules.matches(rules.query_words("land"), words)
    assert not rules.matches(rules.query_words("ho tich"), words)
