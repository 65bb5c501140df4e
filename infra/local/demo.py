"""Demo data of the single-machine host, and what production mode does instead.

`LGSP_MODE=demo` (the default of `make run`): on first start, two demo units with one app
each, and the IT department's demo unit made the deployment's operator by the same
bootstrap a real deployment runs; every secret written to `var/demo-credentials.json`.
`LGSP_MODE=production`: nothing is seeded, a `var/` holding demo data is refused, and the
first operator comes from `python -m infra.admin --local bootstrap`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from chalicelib.domain.operator_schemas import BootstrapOperator
from chalicelib.services import operators, registry
from chalicelib.services.deps import Deps
from infra.local.refusals import StartRefused

DEMO, PRODUCTION = "demo", "production"
DEMO_UNITS = [
    ("000.00.31.H99", "Sở Tài chính (đơn vị thử nghiệm)"),
    ("000.00.32.H99", "Sở Nội vụ (đơn vị thử nghiệm)"),
]
# The province's IT department: its apps act as operators (grants for brokered calls).
OPERATOR_UNIT = ("000.00.30.H99", "Sở Thông tin và Truyền thông (vận hành, thử nghiệm)")
BOOTSTRAP_HINT = ("python -m infra.admin --local bootstrap --unit <IT department's code> "
                  "--name \"<its name>\"")


def announcement(credentials: Path) -> str:
    """What a demo host says first, loudly."""
    bar = "!" * 78
    return (f"{bar}\n"
            f"!! DEMO MODE (LGSP_MODE=demo, the default of `make run`): NOT FOR PRODUCTION.\n"
            f"!! Demo units {', '.join(c for c, _ in [*DEMO_UNITS, OPERATOR_UNIT])} and an\n"
            f"!! operator app exist, with every secret written in plain text to\n"
            f"!!   {credentials}\n"
            f"!! For a real deployment start on an empty LGSP_VAR_DIR with\n"
            f"!! LGSP_MODE=production and create the first operator with\n"
            f"!!   {BOOTSTRAP_HINT}\n"
            f"{bar}")


def _app(code: str, name: str, issued: Any, endpoint: str) -> dict[str, Any]:
    return {"unit": code, "name": name, "app": issued.app, "access_key": issued.access_key,
            "secret_key": issued.secret_key, "endpoint": endpoint}


def seed(deps: Deps, credentials: Path, endpoint: str) -> None:
    """Seed the demo units and operator once; credentials written once, 0600. A `var/`
    bootstrapped for a real unit is refused: demo data never goes into a real deployment."""
    marker = operators.bootstrap_marker(deps)
    if marker is not None and marker["unit"] != OPERATOR_UNIT[0]:
        raise StartRefused(f"this hub's data was bootstrapped for unit {marker['unit']}, not "
                           f"as a demo: start it with LGSP_MODE=production")
    if credentials.exists():
        return
    apps = []
    for code, name in DEMO_UNITS:
        if registry.get_unit(deps, code) is None:
            registry.create_unit(deps, code, name)
        apps.append(_app(code, name, registry.create_app(
            deps, code, f"Ứng dụng thử nghiệm {code}"), endpoint))
    code, name = OPERATOR_UNIT
    app_name = f"Ứng dụng thử nghiệm {code}"
    operator = (operators.bootstrap_operator(deps, BootstrapOperator(
                    unit=code, name=name, app_name=app_name)) if marker is None
                else registry.create_app(deps, code, app_name))
    apps.append(_app(code, name, operator, endpoint))
    fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"apps": apps}, out)


def refuse_demo_data(deps: Deps, credentials: Path) -> None:
    """Production mode: stop, naming what was found, if this `var/` holds demo data."""
    found = [str(credentials)] if credentials.exists() else []
    found += [f"unit {code}" for code, _ in [*DEMO_UNITS, OPERATOR_UNIT]
              if registry.get_unit(deps, code) is not None]
    if found:
        raise StartRefused(f"LGSP_MODE=production refuses demo data, found: "
                           f"{', '.join(found)}. Start on an empty LGSP_VAR_DIR (or move "
                           f"this one away), then create the first operator with "
                           f"{BOOTSTRAP_HINT}")


def production_notice(deps: Deps) -> str | None:
    """What a production host says at start while it has no operator yet."""
    if operators.bootstrap_marker(deps) is not None:
        return None
    return (f"LGSP_MODE=production: this hub has no operator yet. Create the first one "
            f"(once; its secret key is printed once) with\n  {BOOTSTRAP_HINT}")
