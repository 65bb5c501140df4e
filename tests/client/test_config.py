"""Where credentials come from: command line, then environment, then the profile file."""

from __future__ import annotations

from pathlib import Path

import pytest

from lgsp_client.config import load_credentials
from lgsp_client.errors import ConfigError

PROFILES = """\
[default]
endpoint = https://file.example/prod/
access_key = AKFILE
secret_key = file-secret

[other]
endpoint = https://other.example
access_key = AKOTHER
secret_key = other-secret

[partial]
access_key = AKPARTIAL
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "credentials"
    path.write_text(PROFILES, encoding="utf-8")
    return {"LGSP_CREDENTIALS_FILE": str(path)}


def test_profile_file_default_section(env: dict[str, str]) -> None:
    creds = load_credentials(environ=env)
    assert (creds.endpoint, creds.access_key, creds.secret_key) == \
        ("https://file.example/prod", "AKFILE", "file-secret")
    assert creds.profile == "default"


def test_env_vars_win_over_the_profile_file_value_by_value(env: dict[str, str]) -> None:
    env |= {"LGSP_ACCESS_KEY": "AKENV", "LGSP_SECRET_KEY": "env-secret"}
    creds = load_credentials(environ=env)
    assert (creds.endpoint, creds.access_key, creds.secret_key) == \
        ("https://file.example/prod", "AKENV", "env-secret")


def test_env_only_without_a_profile_file(tmp_path: Path) -> None:
    env = {"LGSP_CREDENTIALS_FILE": str(tmp_path / "none"), "LGSP_ENDPOINT": "http://h:8000",
           "LGSP_ACCESS_KEY": "AK", "LGSP_SECRET_KEY": "S"}
    creds = load_credentials(environ=env)
    assert (creds.endpoint, creds.access_key, creds.profile) == ("http://h:8000", "AK", None)


def test_lgsp_profile_selects_a_section(env: dict[str, str]) -> None:
    creds = load_credentials(environ=env | {"LGSP_PROFILE": "other"})
    assert (creds.access_key, creds.profile) == ("AKOTHER", "other")


def test_explicit_profile_beats_env_and_endpoint_option_beats_all(env: dict[str, str]) -> None:
    env |= {"LGSP_ACCESS_KEY": "AKENV", "LGSP_SECRET_KEY": "env-secret",
            "LGSP_ENDPOINT": "http://env.example"}
    creds = load_credentials(profile="other", environ=env)
    assert (creds.endpoint, creds.access_key) == ("https://other.example", "AKOTHER")
    creds = load_credentials(profile="other", endpoint="http://cli.example/", environ=env)
    assert creds.endpoint == "http://cli.example"


def test_missing_values_are_named_with_where_to_set_them(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as err:
        load_credentials(profile="partial", environ=env)
    message = err.value.message
    assert "missing endpoint, secret_key" in message
    assert "LGSP_ENDPOINT" in message and "LGSP_SECRET_KEY" in message
    assert "[partial]" in message
    assert "AKPARTIAL" not in message


def test_nothing_configured(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing endpoint, access_key, secret_key"):
        load_credentials(environ={"LGSP_CREDENTIALS_FILE": str(tmp_path / "none")})


def test_unknown_profile(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=r"profile \[nope\] not found"):
        load_credentials(profile="nope", environ=env)
    with pytest.raises(ConfigError, match=r"profile \[gone\] not found"):
        load_credentials(environ=env | {"LGSP_PROFILE": "gone"})


def test_endpoint_only_when_keys_are_not_needed(tmp_path: Path) -> None:
    env = {"LGSP_CREDENTIALS_FILE": str(tmp_path / "none"), "LGSP_ENDPOINT": "http://h"}
    assert load_credentials(require_keys=False, environ=env).has_keys is False
    with pytest.raises(ConfigError, match="missing access_key, secret_key"):
        load_credentials(environ=env)


@pytest.mark.parametrize(("given", "used"), [
    ("HTTPS://Hub.Example:443/prod/", "https://hub.example/prod"),
    ("http://127.0.0.1:80", "http://127.0.0.1"),
    ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
    ("https://hub.example:8443/a/b", "https://hub.example:8443/a/b"),
])
def test_endpoint_is_normalised_like_the_host_header(tmp_path: Path, given: str,
                                                     used: str) -> None:
    env = {"LGSP_CREDENTIALS_FILE": str(tmp_path / "none")}
    assert load_credentials(endpoint=given, require_keys=False, environ=env).endpoint == used


@pytest.mark.parametrize("endpoint", ["ftp://h", "h:8000", "http://h/?x=1", "http://",
                                      "http://h:port", "http://user:pw@h"])
def test_bad_endpoint(tmp_path: Path, endpoint: str) -> None:
    env = {"LGSP_CREDENTIALS_FILE": str(tmp_path / "none")}
    with pytest.raises(ConfigError, match="http") as err:
        load_credentials(endpoint=endpoint, require_keys=False, environ=env)
    assert "pw" not in err.value.message


def test_secret_not_in_repr(env: dict[str, str]) -> None:
    assert "file-secret" not in repr(load_credentials(environ=env))


def test_unreadable_profile_file(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("no section header\nsecret_key = x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read") as err:
        load_credentials(environ={"LGSP_CREDENTIALS_FILE": str(path)})
    assert "secret_key = x" not in err.value.message
