"""Signature verification per second for each algorithm, with the hub's full policy
(`verify_request`: parse, skew, key policy, canonicalisation, crypto, body digest).

Reported as the median of several repetitions and as a ratio to hmac-sha256 measured in the
same run, since absolute rates on a shared machine mean little.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.domain.algorithms import ALGORITHMS
from chalicelib.domain.signatures import SignedRequest, VerificationKey, verify_request
from tests.support.signing import sign

URL = "https://lgsp.example.gov.vn/v1/messages/0190c1e2a3b4c5d6e7f8a9/confirm"
BODY = json.dumps({"sha256": "0" * 64}).encode()
NOW = 1_795_000_000


def _setup(algorithm: str, private: Any) -> tuple[SignedRequest, VerificationKey]:
    if algorithm.startswith("rsa"):
        signing_key, material = private, private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    else:
        signing_key, material = "bench-secret", b"bench-secret"
    headers = sign("POST", URL, key_id="AKBENCH", secret=signing_key, body=BODY, created=NOW,
                   headers={"Content-Type": "application/json"},
                   algorithm=ALGORITHMS[algorithm])
    key = VerificationKey("AKBENCH", algorithm, material, "000.00.01.H99", "app", legacy=True)
    return SignedRequest("POST", URL, headers, BODY), key


def _rate(request: SignedRequest, key: VerificationKey, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        verify_request(request, now=NOW, skew_seconds=300, find_key=lambda _: key)
    return n / (time.perf_counter() - start)


def run(iterations: int = 2000, repetitions: int = 5) -> dict[str, Any]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    setups = {alg: _setup(alg, private) for alg in sorted(ALGORITHMS)}
    raw: dict[str, list[float]] = {alg: [] for alg in setups}
    for _ in range(repetitions):  # interleaved, so drift on a shared machine hits all alike
        for alg, (request, key) in setups.items():
            raw[alg].append(_rate(request, key, iterations))
    base = statistics.median(raw["hmac-sha256"])
    return {alg: {"per_second_median": round(statistics.median(r), 1),
                  "ratio_to_hmac_sha256": round(statistics.median(r) / base, 3),
                  "raw_per_second": [round(x, 1) for x in r]} for alg, r in raw.items()}
