"""The names of the signature algorithms (R-COMP-4), without their implementations, so
wire shapes can name them without loading the cryptography (`algorithms.py` does)."""

HMAC_SHA256, HMAC_SHA1 = "hmac-sha256", "hmac-sha1"
RSA_PSS_SHA512, RSA_V1_5_SHA256 = "rsa-pss-sha512", "rsa-v1_5-sha256"
LEGACY_ONLY = frozenset({HMAC_SHA1})
ASYMMETRIC = frozenset({RSA_PSS_SHA512, RSA_V1_5_SHA256})
NAMES = (HMAC_SHA256, HMAC_SHA1, RSA_PSS_SHA512, RSA_V1_5_SHA256)  # every one the hub verifies
MIN_RSA_BITS = 2048
