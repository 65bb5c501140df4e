"""Table keys of the single sign-on (docs/sso.md), part of `chalicelib.domain.keys`:
import them from there (`keys.person(...)`), like every other key."""

from __future__ import annotations

META = "META"


# Single sign-on (docs/sso.md). Secrets (codes, refresh tokens, cookies, links) are keyed
# by their SHA-256, never stored as given.
UNIT_PEOPLE = "PERSON#"  # the person links in a unit's partition
UNIT_SSO_CLIENTS = "OIDC#"  # the SSO client links in a unit's partition
SSO_SECRET = ("SSOSECRET", META)  # the sealed key of the pages' CSRF tokens


def person(account: str) -> tuple[str, str]:
    return f"PERSON#{account}", META


def unit_person(code: str, username: str) -> tuple[str, str]:
    return f"UNIT#{code}", f"{UNIT_PEOPLE}{username}"


def login_failures(typed_account: str) -> tuple[str, str]:
    return f"LOGINFAIL#{typed_account.lower()}", META


def login_step(step_hash: str) -> tuple[str, str]:
    return f"LOGINSTEP#{step_hash}", META


def otp_used(account: str, counter: int) -> tuple[str, str]:
    return f"PERSON#{account}", f"OTP#{counter}"


def setup_link(link_hash: str) -> tuple[str, str]:
    return f"SETUP#{link_hash}", META


def sso_session(sid: str) -> tuple[str, str]:
    return f"SSO#{sid}", META


SESSION_CLIENTS = "RP#"  # the clients a session was used with, in its partition


def sso_session_client(sid: str, client_id: str) -> tuple[str, str]:
    return f"SSO#{sid}", f"{SESSION_CLIENTS}{client_id}"


SESSION_FAMILIES = "FAM#"  # the token families a session issued, in its partition


def session_family(sid: str, family: str) -> tuple[str, str]:
    return f"SSO#{sid}", f"{SESSION_FAMILIES}{family}"


def client_sessions_partition(client_id: str) -> str:
    return f"RPSESS#{client_id}"


def client_session(client_id: str, sid: str) -> tuple[str, str]:
    return client_sessions_partition(client_id), sid


def person_sessions_partition(account: str) -> str:
    return f"PERSONSESS#{account}"


def person_session(account: str, sid: str) -> tuple[str, str]:
    return person_sessions_partition(account), sid


def oidc_client(client_id: str) -> tuple[str, str]:
    return f"OIDC#{client_id}", META


def unit_oidc_client(code: str, client_id: str) -> tuple[str, str]:
    return f"UNIT#{code}", f"{UNIT_SSO_CLIENTS}{client_id}"


def auth_code(code_hash: str) -> tuple[str, str]:
    return f"AUTHCODE#{code_hash}", META


def token_family(family: str) -> tuple[str, str]:
    """What one code (or device grant) issued: refresh tokens rotate inside it."""
    return f"TOKFAM#{family}", META


def refresh_token(token_hash: str) -> tuple[str, str]:
    return f"REFRESH#{token_hash}", META


def device_code(code_hash: str) -> tuple[str, str]:
    return f"DEVICE#{code_hash}", META


def user_code(code: str) -> tuple[str, str]:
    return f"USERCODE#{code}", META


def client_assertion(client_id: str, jti: str) -> tuple[str, str]:
    """A private_key_jwt assertion's jti, kept while the assertion could be replayed."""
    return f"ASSERTION#{client_id}", jti
