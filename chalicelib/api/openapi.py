"""The OpenAPI 3.1 document, built from the route specs and their pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from chalicelib.api.http import JSON, ROUTES, RouteSpec
from chalicelib.domain.schemas import ErrorResponse

REF = "#/components/schemas/{model}"
PEER_TAG = "hub-to-hub"  # the routes only peer hubs may call (docs/federation.md)
_STATUS_TEXT = {400: "Invalid request", 401: "Not authenticated", 403: "Forbidden",
                404: "No such object (or not yours)", 409: "Conflicts with the current state",
                413: "Content too large", 415: "Unsupported media type",
                422: "Content does not match", 502: "A peer hub did not answer usefully",
                503: "Unavailable for now; the same call may be sent again later",
                500: "Unexpected failure; `safe_to_retry` says whether repeating the call is "
                     "safe, the message what to check first when it is not"}


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {JSON: {"schema": schema}}}


def _success(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    """The answer as the route renders it: its JSON model, or a file of its media type
    (OpenAPI 3.1: a binary body has no schema)."""
    response = spec.response_model
    if response is None:
        return {"description": "The file", "content": {spec.media_type: {}}}
    return {"description": "OK", **_json(_schema(response, components))}


def _operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": spec.summary,
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{spec.method} {spec.path}").strip("_"),
        "responses": {str(spec.status): _success(spec, components)},
    }
    params = [{"name": m.group(1), "in": "path", "required": True,
               "schema": {"type": "string"}} for m in re.finditer(r"{(\w+)}", spec.path)]
    params += [{"name": q.name, "in": "query", "required": q.required,
                "description": q.description, "schema": q.schema} for q in spec.query]
    params += [{"name": h.name, "in": "header", "required": False,
                "description": h.description, "schema": h.schema} for h in spec.headers]
    if params:
        op["parameters"] = params
    request = spec.request_model
    if request is not None:
        op["requestBody"] = {"required": spec.body_required,
                             **_json(_schema(request, components))}
    if spec.body_media_types:
        op["requestBody"] = {"required": True, "content": {
            media_type: {"schema": {"type": "string"}} for media_type in spec.body_media_types}}
    error_ref = _schema(ErrorResponse, components)
    takes_body = spec.request is not None or bool(spec.body_media_types)
    for code in sorted(set(spec.errors) | ({415} if takes_body else set()) | {500}):
        op["responses"][str(code)] = {"description": _STATUS_TEXT.get(code, "Error"),
                                      **_json(error_ref)}
    op["security"] = ([{"httpSignature": []}, {"ssoBearer": []}] if spec.accepts_people
                      else [{"httpSignature": []}]) if spec.signed else []
    if spec.peer:
        op["security"], op["tags"] = [{"hubSignature": []}], [PEER_TAG]
    return op


def _page_operations(paths: dict[str, Any]) -> None:
    """The single sign-on's pages and protocol endpoints (docs/sso.md), and the
    console's pages (docs/console.md)."""
    from chalicelib.api.pages import PAGE_ROUTES
    for route in PAGE_ROUTES:
        for method in route.methods:
            paths.setdefault(route.path, {})[method.lower()] = {
                "summary": route.summary, "security": [], "tags": [route.tag],
                "operationId": re.sub(r"[^A-Za-z0-9]+", "_",
                                      f"{method} {route.path}").strip("_"),
                "parameters": [{"name": m.group(1), "in": "path", "required": True,
                                "schema": {"type": "string"}}
                               for m in re.finditer(r"{(\w+)}", route.path)],
                "responses": {"200": {"description": "OK", "content": {
                    route.media_type.split(";")[0]: {}}}}}


def openapi_document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, components)
    _page_operations(paths)
    paths["/openapi.json"] = {"get": {
        "summary": "This document", "security": [], "operationId": "GET_openapi_json",
        "responses": {"200": {"description": "OpenAPI 3.1",
                              **_json({"type": "object"})}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "LGSP exchange hub", "version": "1",
                 "description": "Signed exchange of documents between agency apps. Every "
                                "call except health, time and this document is signed per "
                                "RFC 9421 (see docs/auth.md)."},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"httpSignature": {
                "type": "apiKey", "in": "header", "name": "Signature",
                "description": "RFC 9421 HTTP Message Signature labelled 'lgsp' with "
                               "Signature-Input; keyid = access key; covers @method, "
                               "@target-uri and content-digest (RFC 9530)."},
                "hubSignature": {
                    "type": "apiKey", "in": "header", "name": "Signature",
                    "description": "Peer hubs only (docs/federation.md): RFC 9421 signature "
                                   "labelled 'lgsp-hub' with the hub's key (keyid = a kid of "
                                   "its JWKS); covers @method, @target-uri, the lgsp-hub "
                                   "header (its base URL) and, with a body, content-type and "
                                   "content-digest."},
                "ssoBearer": {
                    "type": "openIdConnect",
                    "openIdConnectUrl": "/sso/.well-known/openid-configuration",
                    "description": "A person's access token of the hub's single sign-on "
                                   "with scope lgsp:admin (docs/sso.md), as "
                                   "`Authorization: Bearer`: admin, directory and "
                                   "presence routes."}},
        },
    }
