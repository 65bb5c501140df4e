"""The benchmark harness runs (a tiny run; the numbers themselves are not asserted)."""

from bench import signatures


def test_signature_benchmark_reports_every_algorithm() -> None:
    result = signatures.run(iterations=5, repetitions=1)
    assert set(result) == {"hmac-sha1", "hmac-sha256", "rsa-pss-sha512", "rsa-v1_5-sha256"}
    assert result["hmac-sha256"]["ratio_to_hmac_sha256"] == 1.0
    assert all(row["per_second_median"] > 0 for row in result.values())
