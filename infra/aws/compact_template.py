"""Fold the 405 answers of a packaged API into one operation per path, so the template
stays within CloudFormation's 1 MB (docs/deploy.md, "Packaging").

The app declares every method of every path: the ones a route does not take answer 405
`method_not_allowed` with `Allow` (`api/http.answer_undeclared_methods`), and `chalice
package` writes each as an operation of its own in the API's Swagger body. With 180 paths
that is about 1,000 identical operations and a template over 1 MB, which CloudFormation
refuses. API Gateway gives a method a path does not declare to the path's
`x-amazon-apigateway-any-method` operation, so one such operation per path, on the same
function, carries all of them: the function still finds the method's 405 route (the app
declares it) and answers exactly as before. Nothing else of the template changes.

    python -m infra.aws.compact_template out/sam.yaml     # after `chalice package`
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # (no stubs installed; a dev tool)

ANY = "x-amazon-apigateway-any-method"


def compact(template: dict[str, Any], declared: dict[str, list[str]]) -> int:
    """Fold, in place, each path's operations for methods it does not declare (`declared`:
    path -> its routes' methods) into one `ANY` operation; returns the operations folded."""
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    folded = 0
    for path, operations in paths.items():
        taken = {m.lower() for m in declared.get(path, ())}
        undeclared = [m for m in operations if m != ANY and m not in taken]
        if len(undeclared) < 2 or path not in declared:
            continue
        operations[ANY] = operations[undeclared[0]]
        for method in undeclared:
            del operations[method]
        folded += len(undeclared)
    return folded


def app_declared() -> dict[str, list[str]]:
    """The methods the app's routes take, path by path (not its 405 answers)."""
    from app import app
    from chalicelib.api.http import declared_methods

    return {path: declared_methods(app, path) for path in app.routes}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m infra.aws.compact_template <sam.yaml>", file=sys.stderr)
        return 2
    target = Path(argv[0])
    template = yaml.safe_load(target.read_text())
    before = target.stat().st_size
    folded = compact(template, app_declared())
    target.write_text(yaml.safe_dump(template))
    print(f"{target}: {folded} 405 operations folded into one per path; "
          f"{before:,} -> {target.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
