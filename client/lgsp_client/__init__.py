"""Python client and `lgsp` CLI for agency apps of the LGSP exchange hub."""

from lgsp_client.api import LgspClient
from lgsp_client.config import Credentials, load_credentials
from lgsp_client.errors import (
    ChecksumMismatchError,
    ConfigError,
    LgspApiError,
    LgspError,
    TransferError,
)
from lgsp_client.exchange import fetch_file, send_file

__version__ = "0.1.0"

__all__ = [
    "ChecksumMismatchError",
    "ConfigError",
    "Credentials",
    "LgspApiError",
    "LgspClient",
    "LgspError",
    "TransferError",
    "fetch_file",
    "load_credentials",
    "send_file",
]
