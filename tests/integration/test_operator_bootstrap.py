"""A fresh deployment gets its first operator from a one-time bootstrap (R-JOIN-2: the IT
department issues the keys; R-OPS-3), on DynamoDB (moto), through the use case and the
`bootstrap` Lambda function."""

from __future__ import annotations

import json
import logging

import pytest

from chalicelib.domain.errors import ConflictError, InvalidRequestError
from chalicelib.domain.operator_schemas import BootstrapOperator
from chalicelib.domain.ports import Event
from chalicelib.services import push, registry, units
from chalicelib.services.operators import bootstrap_marker, bootstrap_operator
from chalicelib.services.registry import IssuedCredentials
from tests.support.hub import World

IT = "000.00.00.H30"
NAME = "Sở Thông tin và Truyền thông"
NEW_UNIT = {"code": "000.00.41.H30", "name": "Sở Xây dựng"}


def _as_operator(hub: World, creds: dict[str, str] | object) -> IssuedCredentials:
    c = creds if isinstance(creds, dict) else vars(creds)
    return IssuedCredentials(c["unit"], c["app"], c["access_key"], c["secret_key"],
                             c["algorithm"])


def test_the_first_operator_can_administer_without_any_setting(hub: World) -> None:
    assert hub.deps.settings.operators == frozenset()
    assert hub.a.post("/v1/admin/units", NEW_UNIT).status == 403  # nobody is an operator
    creds = bootstrap_operator(hub.deps, BootstrapOperator(unit=IT, name=NAME))
    assert creds.unit == IT and creds.access_key.startswith("AK") and creds.secret_key
    assert units.get_unit(hub.deps, IT)["name"] == NAME  # registered
    operator = hub.as_(_as_operator(hub, creds.model_dump()))
    assert operator.post("/v1/admin/units", NEW_UNIT).status == 201
    assert hub.a.post("/v1/admin/units", {**NEW_UNIT, "code": "000.00.42.H30"}).status == 403


def test_the_secret_is_kept_only_sealed(hub: World) -> None:
    creds = bootstrap_operator(hub.deps, BootstrapOperator(unit=IT, name=NAME))
    key = hub.deps.table.get(f"KEY#{creds.access_key}", "META")
    assert key is not None and creds.secret_key not in json.dumps(key)
    assert hub.deps.sealer.open(key["secret_sealed"], creds.access_key).decode() == \
        creds.secret_key


def test_a_second_bootstrap_is_refused_and_writes_nothing(hub: World) -> None:
    first = bootstrap_operator(hub.deps, BootstrapOperator(unit=IT, name=NAME))
    with pytest.raises(ConflictError, match="bootstrapped on .* a bootstrap runs once") as err:
        bootstrap_operator(hub.deps, BootstrapOperator(unit="000.00.01.H30", name="Khác"))
    assert err.value.code == "already_bootstrapped"
    assert units.get_unit(hub.deps, "000.00.01.H30") is None
    apps = hub.deps.table.query(f"UNIT#{IT}", prefix="APP#").items
    assert [a["app"] for a in apps] == [first.app]
    assert bootstrap_marker(hub.deps)["app"] == first.app


def test_an_existing_unit_is_used_as_it_is(hub: World) -> None:
    registry.create_unit(hub.deps, IT, "Sở TT&TT (đã có)")
    creds = bootstrap_operator(hub.deps, BootstrapOperator(unit=IT, name=NAME))
    assert units.get_unit(hub.deps, IT)["name"] == "Sở TT&TT (đã có)"
    assert hub.as_(_as_operator(hub, creds.model_dump())).post(
        "/v1/admin/units", NEW_UNIT).status == 201


def test_an_inactive_unit_cannot_become_the_operator(hub: World) -> None:
    registry.create_unit(hub.deps, IT, NAME, status="suspended")
    with pytest.raises(ConflictError) as err:
        bootstrap_operator(hub.deps, BootstrapOperator(unit=IT, name=NAME))
    assert err.value.code == "unit_not_active"
    assert bootstrap_marker(hub.deps) is None


def test_a_bad_unit_code_is_refused_before_anything_is_written(hub: World) -> None:
    with pytest.raises(InvalidRequestError) as err:
        bootstrap_operator(hub.deps, BootstrapOperator(unit="000.00.00.X", name=NAME))
    assert err.value.code == "invalid_unit_code"
    assert bootstrap_marker(hub.deps) is None


def test_operators_flagged_in_the_table_hear_presence_changes(hub: World) -> None:
    bootstrap_operator(hub.deps, BootstrapOperator(unit=IT, name=NAME))
    online = Event(type="unit.online", recipient=hub.a.creds.unit, message_id=None,
                   priority=None, at=hub.deps.clock.now())
    assert push.audience(hub.deps, online) == [IT]


# -- the Lambda function for AWS, where nobody holds the table locally --------------------

def _invoke(hub: World, event: dict[str, object]) -> dict[str, object]:
    reply = hub.client.lambda_.invoke("bootstrap", event)
    payload: dict[str, object] = reply.payload
    return payload


def test_the_bootstrap_function_returns_the_credentials_once(
        hub: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    payload = _invoke(hub, {"unit": IT, "name": NAME})
    assert payload["unit"] == IT and payload["secret_key"]
    assert str(payload["access_key"]) in caplog.text  # logged: who was made, never the secret
    assert str(payload["secret_key"]) not in caplog.text
    operator = hub.as_(_as_operator(hub, payload))
    assert operator.post("/v1/admin/units", NEW_UNIT).status == 201
    again = _invoke(hub, {"unit": IT, "name": NAME})
    assert again["error"]["code"] == "already_bootstrapped"  # type: ignore[index]
    assert "secret_key" not in again


@pytest.mark.parametrize("event, code", [
    ({"name": NAME}, "validation_failed"),
    ({"unit": IT, "name": NAME, "extra": 1}, "validation_failed"),
    ({"unit": "not-a-code", "name": NAME}, "invalid_unit_code"),
])
def test_the_bootstrap_function_refuses_bad_input_clearly(
        hub: World, event: dict[str, object], code: str) -> None:
    payload = _invoke(hub, event)
    assert payload["error"]["code"] == code  # type: ignore[index]
    assert payload["error"]["message"]  # type: ignore[index]
    assert bootstrap_marker(hub.deps) is None
