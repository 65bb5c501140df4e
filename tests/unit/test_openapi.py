"""The OpenAPI 3.1 document covers every route, from the handlers' own models."""

from chalice.test import Client

from app import app
from chalicelib.api.openapi import openapi_document


def test_every_route_is_described() -> None:
    doc = openapi_document()
    assert doc["openapi"].startswith("3.1")
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            if entry.view_name == "method_not_allowed":  # the 405 of an undeclared method
                assert method.lower() not in doc["paths"].get(path, {}), f"{method} {path}"
                continue
            assert method.lower() in doc["paths"].get(path, {}), f"{method} {path} missing"


def test_request_models_are_the_validating_ones() -> None:
    doc = openapi_document()
    create = doc["paths"]["/v1/messages"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["additionalProperties"] is False
    assert {"to", "title", "content"} <= set(schema["required"])
    assert "401" in create["responses"] and "201" in create["responses"]


def test_document_is_served_unsigned() -> None:
    with Client(app) as client:
        res = client.http.get("/openapi.json")
    assert res.status_code == 200 and b'"openapi": "3.1.0"' in res.body
