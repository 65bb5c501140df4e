"""`lgsp webhooks …` against an in-test hub (issue 16, R-PROP-8; the hub's
docs/webhooks.md): what each action sends, what it prints (the secret once, and nowhere
else), `--json`, paging, the hub's refusals with their codes, and usage errors before any
call."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lgsp_client.cli import main
from tests.client.fakehub import FakeHub
from tests.client.fakewebhooks import WebhooksHub
from tests.client.server import serve

UNIT, OTHER = "000.00.12.H40", "000.00.13.H40"
URL = "https://app.example.gov.vn/hooks/lgsp"
ATTEMPTS = [
    {"event_id": "evt_2", "event_type": "message.confirmed", "at": "2026-12-01T09:05:00Z",
     "attempt": 3, "status": 204, "latency_ms": 41.6, "error": None, "delivered": True},
    {"event_id": "evt_2", "event_type": "message.confirmed", "at": "2026-12-01T09:01:00Z",
     "attempt": 2, "status": 503, "latency_ms": 12.0, "error": "http_status",
     "delivered": False},
    {"event_id": "evt_2", "event_type": "message.confirmed", "at": "2026-12-01T09:00:10Z",
     "attempt": 1, "status": None, "latency_ms": None, "error": "timeout",
     "delivered": False}]
DEAD = [{"event_id": "evt_7", "event_type": "message.available",
         "event_at": "2026-11-30T09:00:00Z", "dead_at": "2026-12-01T09:00:00Z",
         "attempts": 17, "last_status": 500, "last_error": "http_status", "reason": "gave_up"},
        {"event_id": "evt_8", "event_type": "notice", "event_at": "2026-11-30T10:00:00Z",
         "dead_at": "2026-12-01T10:00:00Z", "attempts": 0, "last_status": None,
         "last_error": None, "reason": "endpoint_disabled"}]


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[WebhooksHub]:
    """Signed as an app of UNIT; HOME is `tmp_path/home` (nothing may be written there)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LGSP_CREDENTIALS_FILE", str(tmp_path / "no-profiles"))
    for name in ("LGSP_PROFILE", "LGSP_ALGORITHM", "LGSP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    fake = WebhooksHub(FakeHub(keys={"AKUA": "ua-secret", "AKUB": "ub-secret"},
                               units={"AKUA": UNIT, "AKUB": OTHER}))
    with serve(fake) as server:
        fake.fake.url = server.url
        monkeypatch.setenv("LGSP_ENDPOINT", server.url)
        monkeypatch.setenv("LGSP_ACCESS_KEY", "AKUA")
        monkeypatch.setenv("LGSP_SECRET_KEY", "ua-secret")
        yield fake


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def add(hub: WebhooksHub, *extra: str) -> str:
    code, _ = run("webhooks", "add", URL, "--events", "message.available", *extra)
    assert code == 0
    return list(hub.hooks)[-1]


def fields(out: str) -> dict[str, str]:
    return {k: v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def test_add_sends_the_filters_and_prints_the_secret_once(
        hub: WebhooksHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("webhooks", "add", URL, "--events", "message.available, message.confirmed",
                    "--priority", "Hỏa tốc", "--priority", "khan", "--counterpart",
                    OTHER, "--description", "Phần mềm một cửa")
    assert code == 0
    assert hub.bodies == [("POST", "/v1/webhooks", {
        "url": URL, "events": ["message.available", "message.confirmed"],
        "priorities": ["hoa_toc", "khan"], "counterparts": [OTHER],
        "description": "Phần mềm một cửa"})]
    secret = f"whsec_{'S' * 43}="
    shown = fields(out)
    assert shown["id"] == "wh_0001" and shown["secret"] == secret
    assert shown["events"] == "message.available,message.confirmed"
    assert shown["priorities"] == "hoa_toc,khan" and shown["state"] == "active"
    assert out.count(secret) == 1
    err = capsys.readouterr().err
    assert "shown only now: keep it" in err and secret not in err
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert not any(secret in p.read_text(errors="replace") for p in written)


def test_add_every_event_without_filters(hub: WebhooksHub) -> None:
    add(hub, "--events", "*")
    assert hub.bodies[0][2] == {"url": URL, "events": ["*"], "priorities": [],
                                "counterparts": [], "description": ""}
    assert fields(run("webhooks", "show", "wh_0001")[1])["priorities"] == "(any)"


def test_add_json_prints_the_hubs_answer(hub: WebhooksHub) -> None:
    code, out = run("webhooks", "add", URL, "--events", "notice", "--json")
    assert code == 0 and json.loads(out)["webhook"]["events"] == ["notice"]


@pytest.mark.parametrize(("argv", "code_printed"), [
    (["http://app.example.gov.vn/h", "--events", "notice"], "invalid_webhook_url"),
    ([URL, "--events", "message.teleported"], "invalid_webhook_filter")])
def test_the_hubs_refusals_print_their_code_and_create_nothing(
        hub: WebhooksHub, argv: list[str], code_printed: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("webhooks", "add", *argv)
    assert (code, out, hub.hooks) == (1, "", {})
    assert f"error: {code_printed}: " in capsys.readouterr().err


def test_a_unit_at_its_limit_is_told(hub: WebhooksHub,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    hub.limit = 1
    add(hub)
    assert run("webhooks", "add", URL, "--events", "notice")[0] == 1
    assert "error: too_many_webhooks: " in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["add", URL], ["add", URL, "--events", " , "], ["add", URL, "--events", "*",
                                                     "--priority", "urgent"],
    ["update", "wh_1", "--enable", "--disable"], ["update", "wh_1", "--priority", "khan",
                                                  "--any-priority"],
    ["redeliver", "wh_1"], ["redeliver", "wh_1", "evt_1", "--all"], ["show"],
    ["listen", "--secret", "whsec_x"], ["listen", "--port", "70000"]])
def test_usage_errors_exit_2_before_any_call(hub: WebhooksHub, argv: list[str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["webhooks", *argv])
    assert done.value.code == 2 and hub.bodies == []
    capsys.readouterr()


def test_list_is_a_table_and_pages(hub: WebhooksHub,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run("webhooks", "list")[1].startswith("(no webhook endpoints")
    for _ in range(3):
        add(hub, "--description", "một cửa")
    hub.hooks["wh_0002"].update(state="disabled", disabled_reason="failing",
                                failing_since="2026-11-30T08:00:00Z")
    hub.page_size = 2
    code, out = run("webhooks", "list")
    header, first, second = out.splitlines()
    assert header.split() == ["ID", "STATE", "EVENTS", "URL", "DESCRIPTION"]
    assert first.split() == ["wh_0001", "active", "message.available", URL, "một", "cửa"]
    assert second.split()[:5] == ["wh_0002", "disabled", "(failing", "since",
                                  "2026-11-30T08:00:00Z)"]
    assert "more: lgsp webhooks list --cursor 2" in capsys.readouterr().err
    code, out = run("webhooks", "list", "--cursor", "2", "--json")
    assert [h["id"] for h in json.loads(out)["items"]] == ["wh_0003"]


def test_show_says_why_the_hub_disabled_it(hub: WebhooksHub,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    hook_id = add(hub)
    hub.hooks[hook_id].update(state="disabled", disabled_reason="failing",
                              failing_since="2026-11-30T08:00:00Z",
                              last_success_at="2026-11-30T07:59:00Z")
    code, out = run("webhooks", "show", hook_id)
    shown = fields(out)
    assert shown["state"] == "disabled (failing since 2026-11-30T08:00:00Z)"
    assert shown["last_success_at"] == "2026-11-30T07:59:00Z"
    assert f"then: lgsp webhooks update {hook_id} --enable" in capsys.readouterr().err


def test_update_sends_only_what_is_given(hub: WebhooksHub) -> None:
    hook_id = add(hub, "--priority", "khan", "--counterpart", OTHER)
    hub.bodies.clear()
    code, out = run("webhooks", "update", hook_id, "--events", "*", "--any-priority",
                    "--disable")
    assert code == 0
    assert hub.bodies == [("PATCH", f"/v1/webhooks/{hook_id}",
                           {"events": ["*"], "priorities": [], "state": "disabled"})]
    shown = fields(out)
    assert shown["state"] == "disabled (owner)" and shown["counterparts"] == OTHER
    run("webhooks", "update", hook_id, "--enable", "--url", URL + "/v2",
        "--counterpart", "000.00.14.H40", "--description", "")
    assert hub.bodies[-1][2] == {"url": URL + "/v2", "counterparts": ["000.00.14.H40"],
                                 "description": "", "state": "active"}
    assert hub.hooks[hook_id]["state"] == "active"


def test_update_with_nothing_to_change_calls_nothing(
        hub: WebhooksHub, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("webhooks", "update", "wh_0001") == (2, "")
    assert hub.bodies == [] and "nothing to change" in capsys.readouterr().err


def test_rotate_secret_prints_the_new_one_once(hub: WebhooksHub,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    hook_id = add(hub)
    capsys.readouterr()
    code, out = run("webhooks", "rotate-secret", hook_id)
    assert code == 0 and hub.bodies[-1][:2] == ("POST", f"/v1/webhooks/{hook_id}/rotate-secret")
    assert fields(out)["secret"] == f"whsec_{'R' * 43}=" and out.count("whsec_") == 1
    assert fields(out)["secret_rotated_at"] == "2026-12-01T10:00:00Z"
    assert "shown only now" in capsys.readouterr().err


def test_remove_then_it_is_not_found(hub: WebhooksHub,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    hook_id = add(hub)
    assert run("webhooks", "remove", hook_id) == (0, f"{hook_id} removed\n")
    assert run("webhooks", "show", hook_id)[0] == 1
    assert "error: webhook_not_found: " in capsys.readouterr().err


def test_another_units_endpoint_is_not_found(hub: WebhooksHub, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    hook_id = add(hub)
    monkeypatch.setenv("LGSP_ACCESS_KEY", "AKUB")
    monkeypatch.setenv("LGSP_SECRET_KEY", "ub-secret")
    for action in ("show", "remove", "ping", "attempts"):
        assert run("webhooks", action, hook_id) == (1, "")
        assert "error: webhook_not_found" in capsys.readouterr().err
    assert run("webhooks", "list")[1].startswith("(no webhook endpoints")
    assert hook_id in hub.hooks


def test_attempts_show_status_latency_and_why_it_failed(
        hub: WebhooksHub, capsys: pytest.CaptureFixture[str]) -> None:
    hook_id = add(hub)
    assert run("webhooks", "attempts", hook_id)[1] == "(no delivery attempts yet)\n"
    hub.attempts[hook_id] = ATTEMPTS
    code, out = run("webhooks", "attempts", hook_id)
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["AT", "EVENT", "TYPE", "ATTEMPT", "STATUS", "LATENCY_MS", "RESULT"]
    assert rows[1] == ["2026-12-01T09:05:00Z", "evt_2", "message.confirmed", "3", "204", "42",
                       "delivered"]
    assert rows[2][3:] == ["2", "503", "12", "http_status"]
    assert rows[3][3:] == ["1", "-", "-", "timeout"]
    hub.page_size = 1
    code, out = run("webhooks", "attempts", hook_id, "--limit", "1", "--json")
    assert json.loads(out) == {"items": ATTEMPTS[:1], "next_cursor": "1"}
    assert f"lgsp webhooks attempts {hook_id} --cursor 1" in capsys.readouterr().err
    assert hub.fake.signed_urls[-1].endswith(f"/v1/webhooks/{hook_id}/attempts?limit=1")


def test_dead_letters_then_redeliver_one_or_all(hub: WebhooksHub,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    hook_id = add(hub)
    assert run("webhooks", "dead-letters", hook_id)[1] == "(no dead letters)\n"
    hub.dead[hook_id] = list(DEAD)
    code, out = run("webhooks", "dead-letters", hook_id)
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["DEAD_AT", "EVENT", "TYPE", "EVENT_AT", "ATTEMPTS", "LAST_STATUS",
                       "LAST_ERROR", "REASON"]
    assert rows[1] == ["2026-12-01T09:00:00Z", "evt_7", "message.available",
                       "2026-11-30T09:00:00Z", "17", "500", "http_status", "gave_up"]
    assert rows[2][4:] == ["0", "-", "-", "endpoint_disabled"]
    assert f"lgsp webhooks redeliver {hook_id} EVENT_ID, or --all" in capsys.readouterr().err
    code, out = run("webhooks", "redeliver", hook_id, "evt_7")
    assert (code, out) == (0, f"queued 1: see lgsp webhooks attempts {hook_id}\n")
    assert hub.bodies[-1][:2] == ("POST", f"/v1/webhooks/{hook_id}/dead-letters/evt_7/"
                                          "redeliver")
    assert run("webhooks", "redeliver", hook_id, "evt_7")[0] == 1
    assert "error: dead_letter_not_found: " in capsys.readouterr().err
    code, out = run("webhooks", "redeliver", hook_id, "--all", "--json")
    assert (code, json.loads(out)) == (0, {"queued": 1})
    assert hub.bodies[-1][1] == f"/v1/webhooks/{hook_id}/dead-letters/redeliver"
    assert hub.queued == [(hook_id, "evt_7"), (hook_id, "evt_8")]


def test_ping_queues_an_event_for_that_endpoint(hub: WebhooksHub) -> None:
    hook_id = add(hub)
    code, out = run("webhooks", "ping", hook_id)
    assert (code, out) == (0, f"ping queued: evt_ping1: see lgsp webhooks attempts "
                              f"{hook_id}\n")
    assert hub.queued == [(hook_id, "evt_ping1")]
    assert json.loads(run("webhooks", "ping", hook_id, "--json")[1]) == {
        "event_id": "evt_ping1"}
