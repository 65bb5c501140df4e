"""The error codes the hub can answer, read from its source, and those its docs state.

From the source (`hub_codes`): every construction of a domain error (`LgspError` and its
subclasses) in `chalicelib/` with a literal `code=`, or without one (the class's own
code), or through a helper that passes its `code` parameter on (`signatures._fail`), with
the status of the class; and API Gateway's own answers in infra/aws/resources.yaml.
From the docs: the error tables (a status, then the codes in backticks) and statuses
written next to a code in prose (400 `invalid_request`, `409 group_exists`).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections import defaultdict
from pathlib import Path

import chalicelib
from chalicelib.domain.errors import LgspError
from tests.support.cfn import gateway_responses

ROOT = Path(__file__).resolve().parents[2]
CODE = r"[a-z][a-z0-9_]*"
STATUS = r"[1-5][0-9][0-9]|[45]xx"
Pairs = dict[str, set[str]]  # code -> statuses ("404", or "4xx" for a status that varies)


def _error_classes() -> dict[str, type[LgspError]]:
    for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        importlib.import_module(module.name)
    found: dict[str, type[LgspError]] = {}
    todo: list[type[LgspError]] = [LgspError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo += cls.__subclasses__()
    return found


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _literal(node: ast.expr | None) -> str | None:
    is_str = isinstance(node, ast.Constant) and isinstance(node.value, str)
    return node.value if is_str else None  # type: ignore[union-attr]


class _Unreadable(Exception):
    """A domain error is built with a code the source does not spell out."""


def _factories(trees: list[ast.Module], classes: dict[str, type[LgspError]]
               ) -> dict[str, tuple[type[LgspError], int]]:
    """Functions that build an error with their own `code` parameter: name -> (class,
    position of the parameter)."""
    found = {}
    for tree in trees:
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            params = [a.arg for a in fn.args.args]
            for call in ast.walk(fn):
                if isinstance(call, ast.Call) and _name(call.func) in classes:
                    code = next((k.value for k in call.keywords if k.arg == "code"), None)
                    if isinstance(code, ast.Name) and code.id in params:
                        found[fn.name] = (classes[str(_name(call.func))], params.index(code.id))
    return found


def _source_codes() -> Pairs:
    classes = _error_classes()
    files = sorted((ROOT / "chalicelib").rglob("*.py"))
    trees = [ast.parse(f.read_text(), str(f)) for f in files]
    factories = _factories(trees, classes)
    pairs: Pairs = defaultdict(set)
    for path, tree in zip(files, trees, strict=True):
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name = _name(call.func)
            keyword = next((k.value for k in call.keywords if k.arg == "code"), None)
            if name in classes:
                cls = classes[name]
                code = cls.code if keyword is None else _literal(keyword)
                in_factory = isinstance(keyword, ast.Name)
                if code is None and not in_factory:
                    raise _Unreadable(f"{path}:{call.lineno}: {name}(code=...) not a literal")
                if code is not None:
                    pairs[code].add(str(cls.status))
            elif name in factories:
                cls, position = factories[name]
                given = call.args[position] if len(call.args) > position else keyword
                code = _literal(given)
                if code is None:
                    raise _Unreadable(f"{path}:{call.lineno}: {name}(...) code not a literal")
                pairs[code].add(str(cls.status))
    return pairs


def _gateway_codes() -> Pairs:
    pairs: Pairs = defaultdict(set)
    for kind, answer in gateway_responses().items():
        code = re.search(r'"code": "([a-z_]+)"', answer["ResponseTemplates"]["application/json"])
        assert code, kind
        status = str(answer.get("StatusCode") or kind[len("DEFAULT_"):].lower())
        pairs[code.group(1)].add(status)
    return pairs


def _local_host_codes() -> Pairs:
    """The codes the single-machine host's HTTP edge answers itself (infra/local/): every
    `(status, "code"` spelt out there, in a call (`reply_error(408, "request_timeout",`)
    or a table of protocol errors (`(400, "invalid_request_line", ...)`)."""
    pairs: Pairs = defaultdict(set)
    for path in sorted((ROOT / "infra" / "local").glob("*.py")):
        for status, code in re.findall(rf'\((\d{{3}}), "({CODE})"', path.read_text()):
            pairs[code].add(status)
    return pairs


def hub_codes() -> Pairs:
    """Every code the hub (its function, API Gateway in front of it, or the local host's
    HTTP edge) can answer."""
    pairs = _source_codes()
    for extra in (_gateway_codes(), _local_host_codes()):
        for code, statuses in extra.items():
            pairs[code] |= statuses
    return dict(pairs)


# -- the docs --------------------------------------------------------------------------


def documentation() -> dict[str, str]:
    """The hub's docs: those listed in README's documentation table, by path."""
    readme = (ROOT / "README.md").read_text()
    paths = re.findall(r"^\| `(docs/[\w-]+\.md)` \|", readme, re.MULTILINE)
    return {p: (ROOT / p).read_text() for p in paths}


def _table_pairs(text: str) -> list[tuple[str, str]]:
    """(status, code) of error tables: rows whose first cell is a status."""
    found = []
    for line in text.splitlines():
        row = re.match(rf"^\|\s*({STATUS})\s*\|([^|]*)\|", line)
        if row:
            found += [(row.group(1), c) for c in re.findall(rf"`({CODE})`", row.group(2))]
    return found


def _refusals_pairs(text: str) -> list[tuple[str, str]]:
    """docs/auth.md's refusals: every row of the table under "## Refusals" is a 401."""
    section = text.split("## Refusals", 1)[1].split("\n## ", 1)[0]
    return [("401", c) for c in re.findall(rf"^\| `({CODE})` \|", section, re.MULTILINE)]


def catalogue() -> Pairs:
    """What docs/api.md's error tables and docs/auth.md's refusals say the hub answers."""
    docs = documentation()
    pairs: Pairs = defaultdict(set)
    for status, code in (_table_pairs(docs["docs/api.md"])
                         + _refusals_pairs(docs["docs/auth.md"])):
        pairs[code].add(status)
    return dict(pairs)


def stated_pairs() -> list[tuple[str, str, str]]:
    """(doc, status, code) wherever a doc puts a status next to a code."""
    found = []
    for path, text in documentation().items():
        pairs = _table_pairs(text)
        pairs += re.findall(rf"\b({STATUS})\s+\**`({CODE})`", text)
        pairs += re.findall(rf"`({STATUS}) ({CODE})`", text)
        found += [(path, status, code) for status, code in pairs]
    return found
