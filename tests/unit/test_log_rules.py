"""The rules of the audit and error logs (docs/audit.md, docs/reports.md): what is
audited, which key a refused signature names, and a remedy for every code an integrator
meets (R-OPS-5)."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain.errors import InvalidRequestError
from chalicelib.domain.log_pages import (
    Filter,
    Position,
    decode_cursor,
    encode_cursor,
    listing,
    months_newest_first,
)
from chalicelib.domain.logs import audited, claimed_key_id, client_request_id, refusal_kind
from chalicelib.domain.periods import Period
from chalicelib.domain.remedies import GENERIC, KINDS, known_codes, remedy
from tests.support.doc_codes import ROOT, catalogue

AUTH_CODES = ("signature_missing", "signature_invalid", "digest_mismatch", "clock_skew",
              "signature_expired", "nonce_required", "replayed", "key_revoked",
              "algorithm_mismatch", "algorithm_not_allowed", "token_missing", "invalid_token",
              "token_expired", "wrong_audience", "token_revoked", "ticket_invalid")
EXCHANGE_CODES = ("invalid_json", "validation_failed", "unknown_destination",
                  "inactive_destination", "too_many_destinations", "invalid_unit_code",
                  "checksum_mismatch", "size_mismatch", "upload_incomplete", "parts_required",
                  "content_missing", "not_available", "expired", "idempotency_conflict",
                  "message_not_found", "content_too_large", "forbidden", "conflict")


@pytest.mark.parametrize("code", AUTH_CODES + EXCHANGE_CODES)
def test_every_authentication_and_common_exchange_code_has_its_own_remedy(code: str) -> None:
    found = remedy("refused", code)
    assert found != GENERIC and found.vi and found.en


def test_every_code_with_a_remedy_is_one_the_hub_answers_or_writes() -> None:
    answered = set(catalogue())
    written = {"not_confirmed_in_time", "destination_did_not_confirm", "content_never_arrived",
               "no_receiving_app", "unit_split", "unit_dissolved", "too_many_refusals"}
    assert known_codes() - answered - written == set()


def test_the_remedies_that_matter_most_say_what_to_do() -> None:
    assert "NTP" in remedy("refused", "clock_skew").en
    assert "nonce" in remedy("refused", "replayed").en
    assert "key" in remedy("refused", "signature_invalid").en
    assert "fetch" in remedy("fetch_failed", "checksum_mismatch").en.lower()
    assert remedy("fetch_failed", "checksum_mismatch") != remedy("refused", "checksum_mismatch")


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_code_gets_a_text_pointing_to_the_docs(kind: str) -> None:
    assert remedy("refused", "no_such_code") == GENERIC
    assert "docs/api.md" in GENERIC.en and "docs/api.md" in GENERIC.vi
    assert remedy(kind, None).en


def test_what_is_audited() -> None:
    assert audited("POST", "/v1/admin/units", person=False)
    assert audited("DELETE", "/v1/keys/{key_id}", person=False)
    assert audited("POST", "/v1/ws/tickets", person=True)  # any change by a person
    assert not audited("GET", "/v1/admin/units/{code}/history", person=True)
    assert not audited("POST", "/v1/messages", person=False)  # the exchange's hot path
    assert refusal_kind("POST /v1/messages/{message_id}/confirm",
                        "checksum_mismatch") == "fetch_failed"
    assert refusal_kind("POST /v1/messages/{message_id}/complete",
                        "checksum_mismatch") == "refused"


@pytest.mark.parametrize(("header", "expected"), [
    ('lgsp=("@method" "@target-uri");keyid="AK12ab";created=1', "AK12ab"),
    ('lgsp=("@method");created=1', None),
    ('lgsp=("@method");keyid="../../x";created=1', None),
    ('other=("@method");keyid="AK1";created=1', None),
    ("lgsp=(((", None),
])
def test_the_key_a_signature_claims(header: str, expected: str | None) -> None:
    assert claimed_key_id({"Signature-Input": header}) == expected
    assert claimed_key_id({}) is None


def test_a_client_request_id_is_kept_only_if_plain() -> None:
    assert client_request_id({"X-Request-Id": "req-42.a:b"}) == "req-42.a:b"
    assert client_request_id({"x-request-id": "a b"}) is None
    assert client_request_id({"x-request-id": "x" * 129}) is None


def test_a_period_is_read_newest_month_first_within_its_bounds() -> None:
    period = Period("range", date(2026, 11, 20), date(2027, 1, 3))
    spans = months_newest_first(period)
    assert [s.month for s in spans] == ["2027-01", "2026-12", "2026-11"]
    assert spans[0].end == period.end and spans[-1].start == period.start


def test_a_cursor_serves_its_own_listing_only() -> None:
    period = Period("month", date(2026, 11, 1), date(2026, 11, 30))
    spans = months_newest_first(period)
    mine = listing("errors", "000.00.01.H99", period, Filter({"kind": None}))
    other = listing("errors", "000.00.02.H99", period, Filter({"kind": None}))
    cursor = encode_cursor(mine, spans, Position(0, "t", 3))
    assert decode_cursor(mine, spans, cursor) == Position(0, "t", 3)
    for bad in (cursor, "not-a-cursor"):
        with pytest.raises(InvalidRequestError) as raised:
            decode_cursor(other, spans, bad)
        assert raised.value.code == "invalid_cursor"


def test_the_docs_list_every_remedy_code() -> None:
    text = (ROOT / "docs" / "reports.md").read_text()
    assert all(f"`{code}`" in text for code in ("not_confirmed_in_time",
                                               "destination_did_not_confirm",
                                               "content_never_arrived", "too_many_refusals"))
