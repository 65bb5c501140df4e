"""Packaging for AWS folds each path's 405 answers into one `ANY` operation
(infra/aws/compact_template.py, docs/deploy.md): the declared methods stay as they are,
every other method lands on an operation with the same integration, so the function
answers it as before; and the template fits CloudFormation's 1 MB."""

from __future__ import annotations

import copy
from typing import Any

from chalicelib.api.route_spec import METHODS
from infra.aws.compact_template import ANY, app_declared, compact


def operation(path: str) -> dict[str, Any]:
    """An operation as `chalice package` writes it (one Lambda integration for all)."""
    return {"consumes": ["*/*"], "parameters": [{"in": "path", "name": path}],
            "x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": "APIHandler"}}


def test_each_path_keeps_its_methods_and_one_operation_takes_the_rest() -> None:
    declared = app_declared()
    paths = {path: {m.lower(): operation(path) for m in METHODS} for path in declared}
    template = {"Resources": {"RestAPI": {"Properties": {"DefinitionBody": {"paths": paths}}}}}
    before = copy.deepcopy(paths)
    folded = compact(template, declared)
    assert folded > 700  # the 405 answers of about 180 paths
    for path, methods in declared.items():
        kept = paths[path]
        assert {m for m in kept if m != ANY} == {m.lower() for m in methods}, path
        undeclared = set(METHODS) - set(methods)
        if len(undeclared) > 1:
            assert kept[ANY] == before[path][next(iter(undeclared)).lower()], path
    assert sum(len(ops) for ops in paths.values()) < len(declared) * 3


def test_a_path_with_one_undeclared_method_or_unknown_is_left_alone() -> None:
    paths = {"/a": {"get": operation("/a"), "post": operation("/a")},
             "/unknown": {"get": operation("/u"), "put": operation("/u")}}
    template = {"Resources": {"RestAPI": {"Properties": {"DefinitionBody": {"paths": paths}}}}}
    assert compact(template, {"/a": ["GET"]}) == 0
    assert set(paths["/a"]) == {"get", "post"} and set(paths["/unknown"]) == {"get", "put"}
