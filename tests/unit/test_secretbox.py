"""Secrets at rest are sealed, bound to their context, and refuse tampering."""

import pytest

from chalicelib.adapters.secretbox import AesGcmSealer, SealedSecretError


def test_round_trip_and_fresh_ciphertext_each_time() -> None:
    box = AesGcmSealer(b"m" * 32)
    a, b = box.seal(b"secret", "AK1"), box.seal(b"secret", "AK1")
    assert a != b and b"secret" not in a.encode()
    assert box.open(a, "AK1") == b"secret"


@pytest.mark.parametrize("how", ["context", "master", "tamper"])
def test_wrong_context_key_or_tampering_fails(how: str) -> None:
    box = AesGcmSealer(b"m" * 32)
    sealed = box.seal(b"secret", "AK1")
    with pytest.raises(SealedSecretError):
        if how == "context":
            box.open(sealed, "AK2")
        elif how == "master":
            AesGcmSealer(b"n" * 32).open(sealed, "AK1")
        else:
            head, tail = sealed.rsplit(".", 1)
            box.open(head + "." + ("A" if tail[0] != "A" else "B") + tail[1:], "AK1")


def test_master_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        AesGcmSealer(b"short")
