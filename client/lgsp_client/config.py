"""Where the endpoint and the access key come from, like the AWS CLI.

Order, first found wins for each value:
1. command-line options (`--endpoint`; `--profile NAME` picks a profile, whose values then
   beat the environment, because the user named it on purpose);
2. environment variables `LGSP_ENDPOINT`, `LGSP_ACCESS_KEY`, `LGSP_SECRET_KEY`,
   `LGSP_ALGORITHM`, `LGSP_PRIVATE_KEY_FILE`;
3. the profile file `~/.lgsp/credentials` (or `LGSP_CREDENTIALS_FILE`), section
   `LGSP_PROFILE` or `default`, keys `endpoint`, `access_key`, `secret_key`, `algorithm`,
   `private_key_file`, `auth`.

`algorithm` defaults to hmac-sha256 (needs `secret_key`); rsa-pss-sha512 and
rsa-v1_5-sha256 sign with the PEM private key in `private_key_file` instead.

`auth` (`LGSP_AUTH`) says who a call speaks for: `signature` (the app, by its key), `sso`
(the person signed in with `lgsp login`), or unset: the person when the profile has no
key but a sign-in, else the app.
"""

from __future__ import annotations

import configparser
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lgsp_client.algorithms import DEFAULT_ALGORITHM, RSA_ALGORITHMS, check_algorithm
from lgsp_client.errors import ConfigError

DEFAULT_PROFILE = "default"
FIELDS = ("endpoint", "access_key", "secret_key", "algorithm", "private_key_file", "auth")
ENV_NAMES = {"endpoint": "LGSP_ENDPOINT", "access_key": "LGSP_ACCESS_KEY",
             "secret_key": "LGSP_SECRET_KEY", "algorithm": "LGSP_ALGORITHM",
             "private_key_file": "LGSP_PRIVATE_KEY_FILE", "auth": "LGSP_AUTH"}
AUTH_MODES = ("signature", "sso")


@dataclass(frozen=True)
class Credentials:
    """What a client needs to call the hub. The secret never appears in `repr`."""

    endpoint: str
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    profile: str | None = None
    algorithm: str = DEFAULT_ALGORITHM
    private_key_file: str | None = None
    auth: str | None = None

    @property
    def has_keys(self) -> bool:
        material = self.private_key_file if self.algorithm in RSA_ALGORITHMS \
            else self.secret_key
        return bool(self.access_key and material)

    def private_key(self) -> bytes | None:
        """The PEM bytes of `private_key_file` (RSA algorithms only)."""
        if self.algorithm not in RSA_ALGORITHMS or not self.private_key_file:
            return None
        path = Path(self.private_key_file).expanduser()
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read the private key file {path}: "
                              f"{exc.strerror or type(exc).__name__}") from exc


def profile_name(profile: str | None = None,
                 environ: Mapping[str, str] | None = None) -> str:
    """The profile a command speaks for: `--profile`, else `LGSP_PROFILE`, else default."""
    env = os.environ if environ is None else environ
    return profile or env.get("LGSP_PROFILE") or DEFAULT_PROFILE


def credentials_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    override = env.get("LGSP_CREDENTIALS_FILE")
    return Path(override).expanduser() if override else Path.home() / ".lgsp" / "credentials"


def _read_profiles(path: Path) -> configparser.ConfigParser | None:
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the profile file {path}: "
                          f"{type(exc).__name__}") from exc
    return parser


def _profile_values(parser: configparser.ConfigParser | None, profile: str) -> dict[str, str]:
    if parser is None or not parser.has_section(profile):
        return {}
    section = parser[profile]
    return {name: section[name].strip() for name in FIELDS if section.get(name, "").strip()}


def normalise_endpoint(endpoint: str) -> str:
    """`HTTPS://Host:443/prod/` -> `https://host/prod`: the URL signed must be the one the
    hub rebuilds from the Host header, which carries no default port. Only http(s)."""
    parts = urllib.parse.urlsplit(endpoint.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    if scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or port == -1:
        shown = "a URL with user info" if "@" in endpoint else repr(endpoint)
        raise ConfigError("the endpoint must be an http(s) URL without user info or a query, "
                          f"e.g. https://lgsp.example.gov.vn: got {shown}")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


def load_credentials(*, profile: str | None = None, endpoint: str | None = None,
                     require_keys: bool = True, default_endpoint: str | None = None,
                     environ: Mapping[str, str] | None = None) -> Credentials:
    """Resolve endpoint and keys (see the module docstring for the order);
    `default_endpoint` is used when nothing else names one (the hub a person signed in to).

    Raises `ConfigError` naming every missing value and where it could be set.
    """
    env = os.environ if environ is None else environ
    explicit_profile = profile is not None
    name = profile_name(profile, env)
    path = credentials_path(env)
    parser = _read_profiles(path)
    named = explicit_profile or bool(env.get("LGSP_PROFILE"))
    if named and (parser is None or not parser.has_section(name)):
        raise ConfigError(f"profile [{name}] not found in {path}")
    from_file = _profile_values(parser, name)
    from_env = {f: env[ENV_NAMES[f]].strip() for f in FIELDS if env.get(ENV_NAMES[f], "").strip()}
    values = {**from_env, **from_file} if explicit_profile else {**from_file, **from_env}
    if endpoint:
        values["endpoint"] = endpoint
    if default_endpoint and not values.get("endpoint"):
        values["endpoint"] = default_endpoint
    auth = values.get("auth")
    if auth is not None and auth not in AUTH_MODES:
        raise ConfigError(f"auth must be signature or sso, not {auth!r} "
                          f"({ENV_NAMES['auth']} or [{name}] in {path})")
    algorithm = check_algorithm(values.get("algorithm") or DEFAULT_ALGORITHM)
    material = "private_key_file" if algorithm in RSA_ALGORITHMS else "secret_key"
    needed = ("endpoint", "access_key", material) if require_keys else ("endpoint",)
    missing = [f for f in needed if not values.get(f)]
    if missing:
        hints = ", ".join(ENV_NAMES[f] for f in missing)
        raise ConfigError(f"missing {', '.join(missing)}: set {hints}, or add "
                          f"{', '.join(missing)} to [{name}] in {path}")
    return Credentials(endpoint=normalise_endpoint(values["endpoint"]),
                       access_key=values.get("access_key"), secret_key=values.get("secret_key"),
                       profile=name if (parser is not None and from_file) else None,
                       algorithm=algorithm, private_key_file=values.get("private_key_file"),
                       auth=auth)
