"""`lgsp keys ...`: list, rotate and revoke the app's access keys, and make an RSA key pair
locally (the hub only ever sees public keys)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from lgsp_client.algorithms import ALGORITHMS, RSA_ALGORITHMS
from lgsp_client.api import LgspClient
from lgsp_client.errors import ConfigError
from lgsp_client.keygen import generate_rsa
from lgsp_client.render import print_keys

LOCAL_ONLY = "generate-rsa"


def add_key_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `keys list|rotate|revoke|generate-rsa` on the top-level subparsers."""
    keys = sub.add_parser("keys", parents=[common], help="your app's access keys")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="keys, status and last use")
    listing.add_argument("--json", action="store_true", help="print the raw JSON")
    rotate = actions.add_parser(
        "rotate", parents=[common],
        help="issue a new key; the current one keeps working until the overlap ends")
    rotate.add_argument("--algorithm", choices=sorted(ALGORITHMS),
                        help="default: the algorithm of the key you sign with")
    rotate.add_argument("--public-key", type=Path, metavar="FILE",
                        help="RSA public key (PEM or JWK), e.g. from keys generate-rsa")
    revoke = actions.add_parser("revoke", parents=[common], help="revoke a key at once")
    revoke.add_argument("key_id", metavar="KEY_ID")
    generate = actions.add_parser(LOCAL_ONLY, parents=[common],
                                  help="make an RSA key pair here: PREFIX.key, .pub, .jwk")
    generate.add_argument("--out", required=True, metavar="PREFIX")


def is_local(args: argparse.Namespace) -> bool:
    """Commands that need neither the hub nor credentials."""
    return args.command == "keys" and args.keys_command == LOCAL_ONLY


def run_local(args: argparse.Namespace, out: TextIO) -> int:
    files = generate_rsa(args.out)
    print(f"private key: {files.private_key} (keep it here; mode 0600)", file=out)
    print(f"public key:  {files.public_key}", file=out)
    print(f"jwk:         {files.jwk}", file=out)
    print(f"next: lgsp keys rotate --algorithm rsa-pss-sha512 --public-key "
          f"{files.public_key}", file=sys.stderr)
    return 0


def _rotate(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    public_key = None
    if args.public_key is not None:
        public_key = args.public_key.read_text(encoding="utf-8")
    if public_key and args.algorithm not in RSA_ALGORITHMS:
        raise ConfigError("--public-key goes with --algorithm rsa-pss-sha512 or "
                          "rsa-v1_5-sha256")
    issued = client.rotate_key(algorithm=args.algorithm, public_key=public_key)
    key = issued["key"]
    print(f"access_key: {key['key_id']}", file=out)
    print(f"algorithm:  {key['algorithm']}", file=out)
    if issued.get("secret_key"):
        print(f"secret_key: {issued['secret_key']}", file=out)
        print("the secret is shown only now: store it (e.g. in ~/.lgsp/credentials)",
              file=sys.stderr)
    for old in issued.get("retiring") or []:
        print(f"{old['key_id']} keeps working until {old['valid_until']}", file=sys.stderr)
    return 0


def run_keys(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    """Carry out one `keys` action that talks to the hub."""
    action = args.keys_command
    if action == "list":
        page = client.list_keys()
        if args.json:
            print(json.dumps(page, ensure_ascii=False, indent=2), file=out)
        else:
            print_keys(page, out)
        return 0
    if action == "rotate":
        return _rotate(client, args, out)
    if action == "revoke":
        key = client.revoke_key(args.key_id)
        print(f"{key['key_id']} {key['status']} {key.get('revoked_at') or ''}".rstrip(),
              file=out)
        return 0
    raise AssertionError(f"unhandled keys action {action}")
