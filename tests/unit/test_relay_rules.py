"""The relay's pure rules (issue 15, R-PROP-10; docs/federation.md, "The relay")."""

from __future__ import annotations

from chalicelib.domain import relay

MSG = {"id": "ab12", "source": "000.00.01.H02", "title": "Công văn", "priority": "khan",
       "data_type": "document", "protocol": "file", "size": 10, "sha256": "0" * 64,
       "content_type": "application/pdf", "file_name": "cv.pdf", "created_at": 100,
       "confirm_by": 1000, "deliver_at": None, "edxml": None}


def test_back_off_doubles_from_15_seconds_to_half_an_hour_with_bounded_jitter() -> None:
    waits = [relay.retry_after(n, "ab12") for n in range(1, 15)]
    bases = [min(15 * 2 ** (n - 1), 1800) for n in range(1, 15)]
    assert all(base <= wait < base + max(base // 5, 1) for wait, base in zip(waits, bases,
                                                                           strict=True))
    assert waits[-1] < 1800 * 1.2
    assert len({relay.retry_after(3, f"m{i}") for i in range(50)}) > 5  # not in step


def test_a_relayed_message_has_one_id_per_peer_and_origin_id() -> None:
    first = relay.inbound_id("hanoi", "ab12")
    assert first == relay.inbound_id("hanoi", "ab12")  # a repeated hand-over finds it
    assert first != relay.inbound_id("ndxp", "ab12")  # another peer: another message
    assert first != relay.inbound_id("hanoi", "ab13")
    assert len(first) == 32 and first.isalnum()


def test_the_content_url_lives_until_the_deadline_within_the_stores_limit() -> None:
    assert relay.content_url_seconds(0, 3600) == 3600
    assert relay.content_url_seconds(0, 30 * 86400) == relay.MAX_CONTENT_URL_SECONDS
    assert relay.content_url_seconds(100, 110) == 60


def test_the_hand_over_carries_the_facts_and_where_to_download_never_the_content() -> None:
    body = relay.relay_body(MSG, ["000.00.01.H31"], hub="https://lgsp.a", now=200,
                            content={"url": "https://s3/x", "expires_at": 1000})
    assert body["origin_id"] == "ab12" and body["to"] == ["000.00.01.H31"]
    assert body["hops"] == [{"hub": "https://lgsp.a", "at": 200, "event": "relayed"}]
    assert body["content"]["url"] == "https://s3/x"
    assert "object_key" not in body and "data" not in body


def test_a_hop_detail_names_the_peer_and_the_last_hubs() -> None:
    hops = [{"hub": f"h{i}", "at": i} for i in range(5)]
    assert relay.hop_detail("hanoi", hops) == "via hanoi (h2@2 → h3@3 → h4@4)"
    assert relay.hop_detail("hanoi", []) == "via hanoi"


def test_reports_of_one_second_keep_the_order_outcomes_happen_in() -> None:
    from chalicelib.domain import keys
    at = 1_795_000_000
    events = ["confirmed", "status:03", "fetched"]
    ordered = sorted(events, key=lambda e: keys.report("m1", at, "000.00.01.H31", e)[1])
    assert ordered == ["fetched", "status:03", "confirmed"]
    later = keys.report("m1", at + 1, "000.00.01.H31", "fetched")[1]
    assert later > keys.report("m1", at, "000.00.01.H31", "confirmed")[1]
