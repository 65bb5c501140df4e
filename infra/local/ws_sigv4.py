"""SigV4 check of the management API (`@connections`).

On AWS, IAM decides who may post to, read or drop a WebSocket connection. The local host
has no IAM, so it accepts only requests signed with its own management key (generated
into `var/ws-credentials.json`): anyone else on the machine who can reach the port cannot
push messages to an agency's connection.

The signature is recomputed by botocore itself from the request as received, so what a
real boto3 `apigatewaymanagementapi` client signs is exactly what is checked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

DEFAULT_REGION = "ap-southeast-1"  # the hub's default `aws_region` (chalicelib/config.py)
SERVICE = "execute-api"
_SIGNED_HEADERS = re.compile(r"SignedHeaders=([^,\s]+)")


@dataclass(frozen=True)
class ManagementAuth:
    """The one key allowed to call the management API, and the region it signs for."""

    access_key: str
    secret_key: str = field(repr=False)
    region: str = DEFAULT_REGION
    max_skew_seconds: int = 300

    @classmethod
    def from_env(cls, env: Mapping[str, str], region: str | None = None) -> ManagementAuth:
        """`LGSP_WS_ACCESS_KEY`, `LGSP_WS_SECRET_KEY` and `LGSP_AWS_REGION`; with no key
        set every management request is refused."""
        return cls(access_key=env.get("LGSP_WS_ACCESS_KEY", ""),
                   secret_key=env.get("LGSP_WS_SECRET_KEY", ""),
                   region=region or env.get("LGSP_AWS_REGION") or DEFAULT_REGION)

    def verify(self, method: str, target: str, headers: Message, body: bytes,
               now: datetime | None = None) -> str | None:
        """None when the request is signed with this key; otherwise why not, in words that
        are safe to log and to return (no header value is ever echoed)."""
        if not (self.access_key and self.secret_key):
            return "The management API has no credentials configured"
        authorization = headers.get("Authorization")
        amz_date = headers.get("X-Amz-Date")
        if not authorization or not amz_date:
            return "Missing Authentication Token"
        try:
            signed_at = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            return "Invalid X-Amz-Date"
        skew = abs((now or datetime.now(UTC)) - signed_at)
        if skew > timedelta(seconds=self.max_skew_seconds):
            return "Signature expired"
        match = _SIGNED_HEADERS.search(authorization)
        if match is None:
            return "Malformed Authorization header"
        signed = match.group(1).split(";")
        if "host" not in signed:
            return "The Host header must be signed"
        content_sha = headers.get("X-Amz-Content-SHA256")
        if content_sha is not None and content_sha != hashlib.sha256(body).hexdigest():
            return "The payload hash does not match the body"
        expected = self._authorization(method, target, headers, body, signed=signed,
                                       amz_date=amz_date)
        if not hmac.compare_digest(expected.encode(), authorization.encode()):
            return "The request signature does not match"
        return None

    def _authorization(self, method: str, target: str, headers: Message, body: bytes, *,
                       signed: list[str], amz_date: str) -> str:
        """The Authorization header botocore writes for this request, signed with our key
        at the request's own X-Amz-Date, over exactly the headers the caller signed."""
        request = AWSRequest(method=method, url=f"http://{headers.get('Host', '')}{target}",
                             data=body)
        for name in signed:
            for value in headers.get_all(name) or []:
                request.headers[name] = value
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(self.access_key, self.secret_key), SERVICE, self.region)
        string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
        signature = signer.signature(string_to_sign, request)
        names = signer.signed_headers(signer.headers_to_sign(request))
        return (f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, "
                f"SignedHeaders={names}, Signature={signature}")
