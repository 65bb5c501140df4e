"""Secrets at rest are sealed, bound to their context, and refuse tampering."""

import base64

import pytest

from chalicelib.adapters.secretbox import AesGcmSealer, SealedSecretError, derive_key
from chalicelib.domain.master_keys import Keyring, KeyringError


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


# -- the keyring: several master keys by id, one current (R-COMP-4: secrets at rest) -------

B64_M = base64.b64encode(b"m" * 32).decode()
B64_N = base64.b64encode(b"n" * 32).decode()
# Sealed by the envelope format before key ids (`v1`), under the key b"m" * 32.
V1_ENVELOPE = ("v1.eVTySBurpwN8f9JU.WE6T-Us9EEn0bIV2VHCF0bWaUkNYU512fLOvzL3q2DqwDKsyvlOzNS"
               "HCSk-mBQAY.oYI9eXoO1XiyIe_J.OKKg_zRgc2a4HeVeT6d4C9i6ee5yp8eSGg8")


class Source:
    """A keyring source whose ring the test swaps, as a rotation elsewhere would."""

    def __init__(self, ring: Keyring) -> None:
        self.ring, self.loads = ring, 0

    def load(self) -> Keyring:
        self.loads += 1
        return self.ring


def test_seals_under_the_current_key_and_opens_under_any_key_of_the_ring() -> None:
    source = Source(Keyring("old", {"old": B64_M}))
    box = AesGcmSealer(source.load)
    under_old = box.seal(b"s1", "AK1")
    assert box.key_id_of(under_old) == "old"
    source.ring = Keyring("new", {"old": B64_M, "new": B64_N})
    under_new = box.seal(b"s2", "AK2")  # a seal reads the source: the new key is current
    assert box.key_id_of(under_new) == "new"
    assert (box.open(under_old, "AK1"), box.open(under_new, "AK2")) == (b"s1", b"s2")


def test_a_process_with_a_stale_ring_reloads_once_for_an_unknown_key_id() -> None:
    source = Source(Keyring("old", {"old": B64_M}))
    running = AesGcmSealer(source.load)
    running.open(running.seal(b"x", "AK0"), "AK0")  # has cached the old ring
    source.ring = Keyring("new", {"old": B64_M, "new": B64_N})
    sealed_elsewhere = AesGcmSealer(Source(source.ring).load).seal(b"secret", "AK1")
    loads = source.loads
    assert running.open(sealed_elsewhere, "AK1") == b"secret"
    assert source.loads == loads + 1
    assert running.open(sealed_elsewhere, "AK1") == b"secret"
    assert source.loads == loads + 1  # cached since


def test_a_retired_key_no_longer_opens_what_it_sealed() -> None:
    source = Source(Keyring("old", {"old": B64_M}))
    box = AesGcmSealer(source.load)
    sealed = box.seal(b"secret", "AK1")
    source.ring = Keyring("new", {"new": B64_N})
    with pytest.raises(SealedSecretError, match="old"):
        AesGcmSealer(source.load).open(sealed, "AK1")


def test_reseal_moves_a_secret_to_the_named_key_once() -> None:
    source = Source(Keyring("new", {"old": B64_M, "new": B64_N}))
    box = AesGcmSealer(source.load)
    moved = box.reseal(V1_ENVELOPE, "AK1", "new")
    assert moved is not None and box.key_id_of(moved) == "new"
    assert box.open(moved, "AK1") == b"old secret"
    assert box.reseal(moved, "AK1", "new") is None


def test_envelopes_sealed_before_key_ids_still_open_under_their_key() -> None:
    assert AesGcmSealer(b"m" * 32).open(V1_ENVELOPE, "AK1") == b"old secret"
    ring = Keyring("k2", {"k1": B64_N, "k0": B64_M, "k2": base64.b64encode(b"o" * 32).decode()})
    assert AesGcmSealer(lambda: ring).open(V1_ENVELOPE, "AK1") == b"old secret"
    with pytest.raises(SealedSecretError):
        AesGcmSealer(b"n" * 32).open(V1_ENVELOPE, "AK1")


def test_a_generated_string_is_stretched_to_a_key_and_base64_of_32_bytes_is_the_key() -> None:
    generated = "Ab3" * 21 + "x"  # what GenerateSecretString makes: 64 letters and digits
    assert derive_key(B64_M) == b"m" * 32
    derived = derive_key(generated)
    assert len(derived) == 32 and derived != derive_key(generated[:-1] + "y")
    box = AesGcmSealer(lambda: Keyring.parse({"current": "k1", "k1": generated}, where="t"))
    assert box.open(box.seal(b"s", "AK1"), "AK1") == b"s"


@pytest.mark.parametrize("document, says", [
    ({"k1": B64_M}, "not a master keyring"),
    ({"current": "k2", "k1": B64_M}, "current key 'k2'"),
    ({"current": "k1", "k1": "short"}, "at least 32"),
    ({"current": "k.1", "k.1": B64_M}, "bad key id"),
    ([B64_M], "not a master keyring"),
])
def test_a_malformed_keyring_is_refused_naming_its_source(document: object, says: str) -> None:
    with pytest.raises(KeyringError, match=says) as err:
        Keyring.parse(document, where="the-file.json")
    assert "the-file.json" in str(err.value)


def test_a_keyring_never_shows_its_materials() -> None:
    ring = Keyring("k1", {"k1": B64_M, "k2": B64_N})
    assert B64_M not in repr(ring) and B64_N not in str(ring)
    assert "k1" in repr(ring)
