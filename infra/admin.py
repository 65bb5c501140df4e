"""Server-side administration of a deployment: its first operator, its master keys, and
the reports' counters after an upgrade.

    python -m infra.admin bootstrap --unit 000.00.00.H30 --name "Sở Thông tin và Truyền thông"
    python -m infra.admin master-key status        # keys, and how many secrets each sealed
    python -m infra.admin master-key rotate        # new key, re-seal everything, drop the old
    python -m infra.admin master-key add           # several machines: see docs/deploy.md
    python -m infra.admin master-key rotate --to KEY_ID --keep-old
    python -m infra.admin master-key retire
    python -m infra.admin person --unit 000.00.00.H30 --username lan --name "Trần Thị Lan" \
        --role operator                            # a person, with a one-time link
    python -m infra.admin reports backfill --since 2025-01   # the province's earlier figures
    python -m infra.admin --local backup --to DIR --passphrase-file FILE   # docs/deploy.md
    python -m infra.admin --local restore --from DIR --passphrase-file FILE
    python -m infra.admin reconcile       # end messages whose content a restore lost

It reads the same `LGSP_*` settings as the hub (`chalicelib/config.py`): on an operator's
workstation against AWS, `LGSP_TABLE_NAME`, `LGSP_AWS_REGION` and `LGSP_MASTER_KEY_SECRET`
with the workstation's AWS credentials; on-prem, the host's. `--local` takes the settings
of the single-machine host instead (its `var/`, `LGSP_VAR_DIR`). The bootstrap prints the
operator's secret key once, on standard output; nothing else ever shows or logs it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import socket
import sys
import time
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError

from chalicelib import bootstrap
from chalicelib.config import Settings
from chalicelib.domain.errors import LgspError
from chalicelib.domain.master_keys import KeyringError
from chalicelib.domain.operator_schemas import DEFAULT_APP_NAME, BootstrapOperator
from chalicelib.services import master_keys, operators
from chalicelib.services.deps import Deps
from infra import admin_backup

# Longer than any request that may have read the old current key before a rotation made
# the new one current: the functions time out after 30 s (.chalice/config.json).
GRACE_SECONDS = 35.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.admin", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--local", action="store_true", help="use the settings of the "
                        "single-machine host under LGSP_VAR_DIR (default ./var)")
    commands = parser.add_subparsers(dest="command", required=True)
    boot = commands.add_parser("bootstrap", help="create the deployment's first operator "
                               "(once) and print its credentials")
    boot.add_argument("--unit", required=True, help="the IT department's unit code")
    boot.add_argument("--name", required=True, help="the unit's name (used if the unit is "
                      "not registered yet)")
    boot.add_argument("--app-name", default=DEFAULT_APP_NAME, help="the operator app's name")
    person = commands.add_parser("person", help="create a person of an operator unit (the "
                                 "first operators) or give one a new one-time link")
    person.add_argument("--unit", required=True, help="an operator unit's code")
    person.add_argument("--username", required=True)
    person.add_argument("--name", help="the person's name (to create them)")
    person.add_argument("--email")
    person.add_argument("--role", action="append", dest="roles", default=None,
                        choices=["operator", "unit_admin", "sso_admin", "member"],
                        help="repeat for several (default: operator)")
    person.add_argument("--reset", action="store_true", help="the person exists: a new "
                        "one-time link to set a password (and enrol TOTP again)")
    person.add_argument("--url", help="the hub's public URL (default: LGSP_PUBLIC_URL)")
    keys = commands.add_parser("master-key", help="the master keys that seal secrets")
    action = keys.add_subparsers(dest="action", required=True)
    action.add_parser("status", help="key ids, the current one, secrets sealed by each")
    action.add_parser("add", help="add a key, not current yet (copy the keyring to every "
                      "machine before `rotate --to`)")
    rotate = action.add_parser("rotate", help="make a new key current, re-seal every "
                               "secret, then drop the old keys")
    rotate.add_argument("--to", metavar="KEY_ID", help="a key added earlier with `add`")
    rotate.add_argument("--keep-old", action="store_true", help="keep the old keys (drop "
                        "them later with `retire`)")
    rotate.add_argument("--grace-seconds", type=float, default=GRACE_SECONDS,
                        help="wait this long after the switch before the last re-seal pass "
                             f"and dropping the old keys (default {GRACE_SECONDS:g})")
    action.add_parser("retire", help="re-seal what is left under old keys, then drop them")
    reports = commands.add_parser("reports", help="the reports' counters")
    what = reports.add_subparsers(dest="action", required=True)
    fill = what.add_parser("backfill", help="give the province's counters and the ranking "
                           "the units' figures from before they were counted (after an "
                           "upgrade; a second run changes nothing)")
    fill.add_argument("--since", required=True, type=_month,
                      help="the first month to fill, YYYY-MM")
    admin_backup.add_commands(commands)
    return parser


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError("a month is YYYY-MM") from None


def _settings(local: bool) -> Settings:
    if not local:
        return Settings.from_env()
    from infra.local.backends import Backends, HostSettings

    backends = Backends(HostSettings.from_env(os.environ))
    backends.prepare_var()
    return backends.settings()


def _show(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2), flush=True)


def _bootstrap(deps: Deps, args: argparse.Namespace) -> None:
    creds = operators.bootstrap_operator(deps, BootstrapOperator(
        unit=args.unit, name=args.name, app_name=args.app_name))
    _show(creds.model_dump())
    print(f"Operator app {creds.app} of unit {creds.unit} created. Its secret key is shown "
          f"this once: keep it now (e.g. in ~/.lgsp/credentials); the hub keeps it only "
          f"sealed.", file=sys.stderr)


def _person(deps: Deps, cfg: Settings, args: argparse.Namespace) -> None:
    """Acts as the deployment itself (an operator of the unit): only an operator unit's
    people, as the first operators who then manage everyone else through the API."""
    from chalicelib.domain.people_schemas import CreatePerson, ResetPerson
    from chalicelib.domain.signatures import Caller
    from chalicelib.services import people, roles
    if not roles.is_operator_unit(deps, args.unit):
        raise ValueError(f"{args.unit} is not an operator unit: people of other units are "
                         "created by operators or the unit's admins, through the API")
    base = (args.url or cfg.public_url or "").rstrip("/")
    if not base:
        raise ValueError("say where the hub is reached: --url or LGSP_PUBLIC_URL")
    me = Caller(unit=args.unit, app="infra.admin", key_id="-", algorithm="-", nonce=None,
                created=deps.clock.now(), person=f"infra.admin@{socket.gethostname()}",
                roles=("operator",))
    if args.reset:
        link = people.reset(deps, me, args.unit, args.username,
                            ResetPerson(second_factor=True), issuer=f"{base}/sso")
    else:
        if not args.name:
            raise ValueError("--name is needed to create a person")
        link = people.create(deps, me, args.unit, CreatePerson(
            username=args.username, name=args.name, email=args.email,
            roles=args.roles or ["operator"]), issuer=f"{base}/sso")
    _show(link.model_dump())
    print("Hand the link to the person: it works once, until expires_at; they choose a "
          "password there and enrol TOTP at their first login.", file=sys.stderr)


def _master_key(deps: Deps, cfg: Settings, args: argparse.Namespace) -> None:
    store = bootstrap.keyring_store(cfg)
    if args.action == "status":
        ring = store.load()
        _show({"keyring": store.where, "current": ring.current, "keys": ring.ids,
               "sealed_by_key": master_keys.count_by_key(deps)})
        return
    lease = master_keys.acquire(deps, f"{socket.gethostname()}:{os.getpid()}")
    try:
        if args.action == "add":
            _show({"keyring": store.where, "added": master_keys.add_key(
                deps, store, current=False)})
        elif args.action == "retire":
            _show({"keyring": store.where,
                   "retired": master_keys.retire_old_keys(deps, store)})
        else:
            switched = time.monotonic()
            report = master_keys.rotate(
                deps, store, to=args.to, retire=not args.keep_old,
                settle=lambda: time.sleep(max(0.0, switched + args.grace_seconds
                                              - time.monotonic())))
            _show({"keyring": store.where, "current": report.key_id,
                   "resealed": report.resealed, "retired": report.retired,
                   "sealed_by_key": report.by_key})
    finally:
        master_keys.release(deps, lease)


def _reconcile(local: bool) -> dict[str, int]:
    from chalicelib.services.reconcile import reconcile
    return reconcile(admin_backup.telling_now(bootstrap.build(_settings(local)))).as_dict()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command in ("backup", "restore"):
            _show(admin_backup.run(args, lambda: _reconcile(args.local)))
            return 0
        if args.command == "reconcile":
            _show(_reconcile(args.local))
            return 0
        cfg = _settings(args.local)
        deps = bootstrap.build(cfg)
        if args.command == "bootstrap":
            _bootstrap(deps, args)
        elif args.command == "person":
            _person(deps, cfg, args)
        elif args.command == "reports":
            from chalicelib.services import report_backfill
            _show(dataclasses.asdict(report_backfill.backfill(deps, since=args.since)))
        else:
            _master_key(deps, cfg, args)
    except LgspError as err:
        print(f"error: {err.code}: {err.message}", file=sys.stderr)
        return 1
    except (KeyringError, RuntimeError, ValueError, ValidationError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
