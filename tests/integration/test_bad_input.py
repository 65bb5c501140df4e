"""Bad input gets a clear 4xx with a stable code and leaves nothing half-written."""

from __future__ import annotations

import hashlib
import os

import boto3

from chalicelib.domain import keys
from chalicelib.services import registry
from tests.integration.test_exchange_flow import receive, send, upload
from tests.support.hub import UNIT_A, UNIT_B, UNIT_C, MiB, World, content_request


def nothing_created(hub: World) -> bool:
    return hub.a.get("/v1/outbox").body["items"] == [] and \
        hub.b.get("/v1/inbox").body["items"] == []


def test_error_bodies_share_one_shape(hub: World) -> None:
    res = hub.a.call("POST", "/v1/messages", raw=b"{not json")
    assert res.status == 400
    assert set(res.body) == {"error"} and set(res.body["error"]) == {"code", "message"}
    assert res.code == "invalid_json"


def test_unknown_fields_and_invalid_values(hub: World) -> None:
    body = content_request(b"x", [UNIT_B])
    assert hub.a.post("/v1/messages", {**body, "colour": "red"}).code == "validation_failed"
    assert hub.a.post("/v1/messages", {**body, "priority": "urgent"}).code == "validation_failed"
    bad_hash = {**body, "content": {**body["content"], "sha256": "XYZ"}}
    res = hub.a.post("/v1/messages", bad_hash)
    assert res.status == 400 and "content.sha256" in res.body["error"]["message"]
    assert hub.a.post("/v1/messages", {**body, "to": []}).status == 400
    assert nothing_created(hub)


def test_non_json_body_is_415(hub: World) -> None:
    res = hub.a.call("POST", "/v1/messages", raw=b"a=b",
                     headers={"content-type": "application/x-www-form-urlencoded"})
    assert res.status == 415 and res.code == "unsupported_media_type"


def test_missing_and_invalid_signatures(hub: World) -> None:
    assert hub.a.get("/v1/inbox", signed=False).code == "signature_missing"
    forged = hub.as_(registry.IssuedCredentials(UNIT_A, "x", hub.a.creds.access_key, "nope",
                                                "hmac-sha256"))
    res = forged.get("/v1/inbox")
    assert res.status == 401 and res.code == "signature_invalid"
    assert hub.a.get("/v1/health", signed=False).status == 200
    assert hub.a.get("/v1/time", signed=False).body["epoch"] == hub.deps.clock.now()


def test_skewed_clock_answer_tells_the_server_time(hub: World) -> None:
    res = hub.a.call("GET", "/v1/whoami", skew=-1000)
    assert res.status == 401 and res.code == "clock_skew"
    assert res.headers["lgsp-server-time"] == str(hub.deps.clock.now())
    assert hub.a.call("GET", "/v1/whoami", skew=200).status == 200


def test_unknown_and_inactive_destinations(hub: World) -> None:
    res = hub.a.post("/v1/messages", content_request(b"x", [UNIT_B, "999.99.99.H99"]))
    assert res.status == 400 and res.code == "unknown_destination"
    hub.deps.table.update(_suspend(UNIT_C))
    res = hub.a.post("/v1/messages", content_request(b"x", [UNIT_C]))
    assert res.status == 400 and res.code == "inactive_destination"
    assert nothing_created(hub)


def _suspend(unit: str):  # type: ignore[no-untyped-def]
    from chalicelib.domain.ports import Update

    return Update(*keys.unit(unit), set={"status": "suspended"})


def test_content_over_the_limit(hub: World) -> None:
    body = content_request(b"x", [UNIT_B])
    body["content"]["size"] = 6 * 1024 * MiB
    res = hub.a.post("/v1/messages", body)
    assert res.status == 413 and res.code == "content_too_large"
    assert nothing_created(hub)


def test_complete_before_upload(hub: World) -> None:
    created = hub.a.post("/v1/messages", content_request(b"later", [UNIT_B]))
    res = hub.a.post(f"/v1/messages/{created.body['message']['id']}/complete")
    assert res.status == 409 and res.code == "content_missing"
    assert hub.b.get("/v1/inbox").body["items"] == []


def test_checksum_mismatch_on_upload_deletes_the_bytes(hub: World) -> None:
    data = os.urandom(1000)
    created = hub.a.post("/v1/messages", content_request(data, [UNIT_B]))
    message_id = created.body["message"]["id"]
    object_key = f"exchange/{message_id}/content"
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket="lgsp-exchange-test", Key=object_key, Body=os.urandom(1000))
    res = hub.a.post(f"/v1/messages/{message_id}/complete")
    assert res.status == 422 and res.code == "checksum_mismatch"
    assert hub.deps.objects.head(object_key) is None
    assert hub.a.get(f"/v1/messages/{message_id}").body["message"]["state"] == "requested"
    assert hub.b.get("/v1/inbox").body["items"] == []
    # The source can still upload the right bytes and complete.
    upload(hub.a.get(f"/v1/messages/{message_id}/upload").body, data)
    assert hub.a.post(f"/v1/messages/{message_id}/complete").status == 200


def test_wrong_size_on_upload(hub: World) -> None:
    created = hub.a.post("/v1/messages", content_request(b"12345", [UNIT_B]))
    message_id = created.body["message"]["id"]
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket="lgsp-exchange-test", Key=f"exchange/{message_id}/content", Body=b"123456")
    res = hub.a.post(f"/v1/messages/{message_id}/complete")
    assert res.status == 422 and res.code == "size_mismatch"


def test_nobody_else_sees_a_message(hub: World) -> None:
    message_id = send(hub, b"secret", [UNIT_B])
    for path in (f"/v1/messages/{message_id}", f"/v1/messages/{message_id}/upload"):
        res = hub.c.get(path)
        assert res.status == 404 and res.code == "message_not_found"
    for action, body in (("fetch", {}), ("confirm", {"sha256": "0" * 64}),
                         ("reject", {"reason": "x"}), ("complete", {})):
        res = hub.c.post(f"/v1/messages/{message_id}/{action}", body)
        assert res.status == 404 and res.code == "message_not_found", action
    assert hub.a.post(f"/v1/messages/{message_id}/fetch").status == 404
    assert hub.c.get("/v1/messages/nonexistent0").status == 404


def test_confirm_with_a_wrong_hash_is_a_failed_fetch(hub: World) -> None:
    data = b"the real bytes"
    message_id = send(hub, data, [UNIT_B])
    receive(hub.b, message_id)
    res = hub.b.post(f"/v1/messages/{message_id}/confirm", {"sha256": "0" * 64})
    assert res.status == 422 and res.code == "checksum_mismatch"
    status = hub.a.get(f"/v1/messages/{message_id}").body
    assert status["deliveries"][0]["state"] == "fetched"
    assert status["deliveries"][0]["failed_fetches"] == 1
    assert "fetch_failed" in [e["event"] for e in status["trace"]]
    assert status["message"]["state"] == "verified"
    ok = hub.b.post(f"/v1/messages/{message_id}/confirm",
                    {"sha256": hashlib.sha256(data).hexdigest()})
    assert ok.status == 200


def test_actions_after_the_end_are_conflicts(hub: World) -> None:
    data = b"done"
    message_id = send(hub, data, [UNIT_B])
    hub.b.post(f"/v1/messages/{message_id}/reject", {"reason": "không thuộc thẩm quyền"})
    assert hub.b.post(f"/v1/messages/{message_id}/fetch").code == "already_rejected"
    res = hub.b.post(f"/v1/messages/{message_id}/confirm",
                     {"sha256": hashlib.sha256(data).hexdigest()})
    assert res.status == 409 and res.code == "already_rejected"


def test_multipart_complete_needs_every_part(hub: World) -> None:
    data = os.urandom(9 * MiB)
    created = hub.a.post("/v1/messages", content_request(data, [UNIT_B]))
    parts = upload(created.body["upload"], data)
    message_id = created.body["message"]["id"]
    res = hub.a.post(f"/v1/messages/{message_id}/complete", {"parts": parts[:1]})
    assert res.status == 400 and res.code == "parts_required"
    assert hub.a.post(f"/v1/messages/{message_id}/complete", {"parts": parts}).status == 200


def test_bad_paging_parameters(hub: World) -> None:
    assert hub.b.get("/v1/inbox?limit=0").code == "invalid_limit"
    assert hub.b.get("/v1/inbox?limit=abc").code == "invalid_limit"
    # Found by the API fuzz test: an empty limit was taken as "no limit given" (200).
    assert hub.b.get("/v1/inbox?limit=").code == "invalid_limit"
    # Unicode digits: "²" is a digit to str.isdigit but not to int() (it was a 500), and
    # "٣" (Arabic-Indic 3) is not the integer the document describes.
    for digits in ("%C2%B2", "%D9%A3"):
        res = hub.b.get(f"/v1/inbox?limit={digits}")
        assert (res.status, res.code) == (400, "invalid_limit"), digits


def test_an_unexpected_failure_is_a_500_in_the_same_shape(hub: World) -> None:
    class BrokenStore:
        def __getattr__(self, name: str) -> object:
            raise RuntimeError("store down")

    from dataclasses import replace

    from chalicelib import bootstrap

    bootstrap.install(replace(hub.deps, objects=BrokenStore()))  # type: ignore[arg-type]
    res = hub.a.post("/v1/messages", content_request(b"x", [UNIT_B]))
    assert res.status == 500 and res.code == "internal_error"
    assert "store down" not in res.body["error"]["message"]
    bootstrap.install(hub.deps)
    assert nothing_created(hub)
