"""Every algorithm the hub accepts, signed by `LgspAuth` and checked by the hub's own
verifier; RSA key pairs made locally; where the algorithm and private key come from."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.domain.algorithms import public_key_pem
from chalicelib.domain.errors import AuthenticationError
from chalicelib.domain.signatures import SignedRequest, VerificationKey, verify_request
from lgsp_client.api import LgspClient
from lgsp_client.config import load_credentials
from lgsp_client.errors import ConfigError
from lgsp_client.keygen import generate_rsa
from lgsp_client.signing import LgspAuth

KEY, SECRET, NOW = "AKTEST", "s3cret-value", 1_790_000_000
URL = "https://lgsp.test/v1/messages"
BODY = b'{"title":"C\xc3\xb4ng v\xc4\x83n"}'


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def hub_verifies(auth: LgspAuth, material: bytes, algorithm: str, *,
                 legacy: bool = False) -> str:
    """Sign a POST with `auth`, verify it as the hub does; the algorithm it accepted."""
    prepared = requests.Request("POST", URL, data=BODY, headers={
        "Content-Type": "application/json"}).prepare()
    signed = auth(prepared)
    key = VerificationKey(key_id=KEY, algorithm=algorithm, material=material, unit="U",
                          app="A", legacy=legacy)
    caller = verify_request(
        SignedRequest("POST", URL, dict(signed.headers), BODY), now=NOW, skew_seconds=300,
        find_key=lambda key_id: key if key_id == KEY else None)
    return caller.algorithm


@pytest.mark.parametrize("algorithm", ["rsa-pss-sha512", "rsa-v1_5-sha256"])
def test_rsa_signatures_verify_at_the_hub(private_key: rsa.RSAPrivateKey,
                                          algorithm: str) -> None:
    auth = LgspAuth(KEY, algorithm=algorithm, private_key=pem(private_key), clock=lambda: NOW)
    assert hub_verifies(auth, public(private_key), algorithm) == algorithm
    other = "rsa-v1_5-sha256" if algorithm == "rsa-pss-sha512" else "rsa-pss-sha512"
    with pytest.raises(AuthenticationError) as err:
        hub_verifies(auth, public(private_key), other)
    assert err.value.code == "algorithm_mismatch"


@pytest.mark.parametrize(("algorithm", "legacy"), [("hmac-sha256", False),
                                                   ("hmac-sha1", True)])
def test_hmac_signatures_verify_at_the_hub(algorithm: str, legacy: bool) -> None:
    auth = LgspAuth(KEY, SECRET, algorithm=algorithm, clock=lambda: NOW)
    assert hub_verifies(auth, SECRET.encode(), algorithm, legacy=legacy) == algorithm
    with pytest.raises(AuthenticationError):
        hub_verifies(auth, b"another secret", algorithm, legacy=legacy)


def test_each_algorithm_needs_its_own_material(private_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ConfigError, match="private key"):
        LgspAuth(KEY, SECRET, algorithm="rsa-pss-sha512")
    with pytest.raises(ConfigError, match="secret key"):
        LgspAuth(KEY, algorithm="hmac-sha256", private_key=pem(private_key))
    with pytest.raises(ConfigError, match="unknown algorithm"):
        LgspAuth(KEY, SECRET, algorithm="hmac-md5")
    with pytest.raises(ConfigError, match="not an unencrypted PEM"):
        LgspAuth(KEY, algorithm="rsa-pss-sha512", private_key=public(private_key))


def test_generated_key_pair_is_private_here_and_accepted_by_the_hub(tmp_path: Path) -> None:
    files = generate_rsa(tmp_path / "app", bits=2048)
    assert stat.S_IMODE(files.private_key.stat().st_mode) == 0o600
    key_pem = files.private_key.read_bytes()
    assert key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS8
    from_pem = public_key_pem(files.public_key.read_text())
    from_jwk = public_key_pem(files.jwk.read_text())
    assert from_pem == from_jwk
    assert json.loads(files.jwk.read_text())["kty"] == "RSA"
    auth = LgspAuth(KEY, algorithm="rsa-pss-sha512", private_key=key_pem, clock=lambda: NOW)
    assert hub_verifies(auth, from_pem, "rsa-pss-sha512") == "rsa-pss-sha512"
    with pytest.raises(ConfigError, match="already exist"):
        generate_rsa(tmp_path / "app", bits=2048)
    assert files.private_key.read_bytes() == key_pem


def test_algorithm_and_private_key_file_from_env_or_profile(
        tmp_path: Path, private_key: rsa.RSAPrivateKey) -> None:
    key_file = tmp_path / "app.key"
    key_file.write_bytes(pem(private_key))
    env = {"LGSP_CREDENTIALS_FILE": str(tmp_path / "none"), "LGSP_ENDPOINT": "https://h",
           "LGSP_ACCESS_KEY": KEY, "LGSP_ALGORITHM": "RSA-PSS-SHA512",
           "LGSP_PRIVATE_KEY_FILE": str(key_file)}
    creds = load_credentials(environ=env)
    assert (creds.algorithm, creds.private_key_file, creds.secret_key) == \
        ("rsa-pss-sha512", str(key_file), None)
    assert creds.has_keys and creds.private_key() == pem(private_key)
    client = LgspClient.from_credentials(creds)
    assert client.auth is not None and client.auth.algorithm == "rsa-pss-sha512"
    assert "PRIVATE" not in repr(creds) + repr(client) + repr(client.auth)

    with pytest.raises(ConfigError, match="LGSP_PRIVATE_KEY_FILE"):
        load_credentials(environ={k: v for k, v in env.items()
                                  if k != "LGSP_PRIVATE_KEY_FILE"})
    profile = tmp_path / "credentials"
    profile.write_text(f"[default]\nendpoint = https://h\naccess_key = {KEY}\n"
                       f"algorithm = rsa-v1_5-sha256\nprivate_key_file = {key_file}\n")
    from_file = load_credentials(environ={"LGSP_CREDENTIALS_FILE": str(profile)})
    assert from_file.algorithm == "rsa-v1_5-sha256" and from_file.has_keys
    defaults = load_credentials(environ={"LGSP_CREDENTIALS_FILE": str(profile),
                                         "LGSP_ALGORITHM": "hmac-sha256",
                                         "LGSP_SECRET_KEY": SECRET})
    assert defaults.algorithm == "hmac-sha256" and defaults.private_key() is None
    with pytest.raises(ConfigError, match="unknown algorithm"):
        load_credentials(environ={**env, "LGSP_ALGORITHM": "ed25519"})
    key_file.unlink()
    with pytest.raises(ConfigError, match="cannot read the private key file"):
        creds.private_key()
