"""`lgsp status` shows what a person needs to follow a message beyond the province
(issue 15): why an edXML package was refused, the set time of a held message, and for
remote destinations the peer hub they went through and each hand-over's state."""

from __future__ import annotations

import io

from lgsp_client.render import print_status

MESSAGE = {"id": "m1", "state": "verified", "title": "Công văn", "priority": "hoa_toc",
           "source": "000.00.01.H02", "to": ["000.00.02.H02", "000.00.01.H31"],
           "data_type": "document", "protocol": "edxml", "file_name": "cv.xml",
           "content_type": "application/xml", "size": 10, "sha256": "0" * 64,
           "created_at": "2026-12-01T00:00:00Z", "confirm_by": "2026-12-04T00:00:00Z"}


def rendered(data: dict[str, object]) -> str:
    out = io.StringIO()
    print_status(data, out)
    return out.getvalue()


def test_remote_destinations_show_their_hub_and_the_hand_overs() -> None:
    text = rendered({"message": MESSAGE, "deliveries": [
        {"unit": "000.00.02.H02", "state": "available"},
        {"unit": "000.00.01.H31", "state": "available", "via": "h31"}],
        "trace": [], "handovers": [{"peer": "h31", "units": ["000.00.01.H31"],
                                    "state": "pending", "attempts": 3,
                                    "last_error": "peer_unreachable"}]})
    assert "000.00.01.H31 (via h31)" in text and "000.00.02.H02 (via" not in text
    line = next(x for x in text.splitlines() if x.startswith("h31"))
    assert "pending" in line and "3" in line and "peer_unreachable" in line


def test_a_refused_package_says_why_and_a_held_one_when() -> None:
    refused = {**MESSAGE, "state": "refused", "problems": [
        {"code": "edxml_not_sender", "element": "MessageHeader/From/OrganId",
         "message": "a unit sends only its own documents"}]}
    text = rendered({"message": refused, "deliveries": [], "trace": []})
    assert "problem:         MessageHeader/From/OrganId: edxml_not_sender: a unit" in text
    held = {**MESSAGE, "deliver_at": "2026-12-01T07:00:00Z"}
    assert "deliver_at:      2026-12-01T07:00:00Z" in rendered(
        {"message": held, "deliveries": [], "trace": []})
    assert "PEER HUB" not in rendered({"message": MESSAGE, "deliveries": [], "trace": []})
