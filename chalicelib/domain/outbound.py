"""Where the hub may send a request to an address somebody gave it (webhook endpoints,
later the catalogue's proxy): the rules against server-side request forgery (issue 16).

A URL is https (http only where an operator allows it, a lab or the e2e's receiver), has a
host and no user:password. Every address its host resolves to must be a public one: not
loopback, link-local (169.254.0.0/16 with the cloud metadata address, fe80::/10), private
(RFC 1918, fc00::/7, CGNAT 100.64.0.0/10), multicast, unspecified, or reserved. An IPv6
address that carries an IPv4 one (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
`2002::/16`, Teredo) is judged by that IPv4 address too. An operator may allow ranges of
its on-prem network (`LGSP_WEBHOOK_ALLOW_PRIVATE`); an address inside one is accepted,
except unspecified and multicast ones, which are never a destination.

Pure: the adapter (`adapters/safe_http.py`) resolves the name once, asks `refusal` for each
address, and connects to the address it checked.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Special-purpose blocks (IANA's registries) the `ipaddress` tables of Python 3.11 call
# global: IETF protocol assignments, the old 6to4 relay anycast, IPv6 site-local,
# documentation (3fff::/20, RFC 9637) and SRv6 SIDs (5f00::/16, RFC 9602).
_ALSO_RESERVED = tuple(ipaddress.ip_network(n) for n in (
    "192.0.0.0/24", "192.88.99.0/24", "fec0::/10", "3fff::/20", "5f00::/16"))
_CHECKS = (("loopback", "is_loopback"), ("link_local", "is_link_local"),
           ("private", "is_private"), ("reserved", "is_reserved"))


class OutboundRefusedError(Exception):
    """The hub will not send to this URL; nothing was sent. `reason` is stable:
    `bad_url`, `scheme_not_allowed`, `credentials_in_url`, `unresolvable`, or an address's
    refusal (`loopback`, `link_local`, `private`, `multicast`, `unspecified`, `reserved`,
    `not_global`)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class OutboundFailedError(OSError):
    """Something was tried and nothing usable came back: `timeout`, `connect_failed`,
    `tls_failed`, `bad_answer`, or (a proxied call's answer over its limit) `too_large`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Target:
    """A URL that passed the rules that need no DNS."""

    scheme: str
    host: str
    port: int
    path: str  # with its query


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs (`10.20.0.0/16, fd12:3456::/48`); ValueError naming a bad one."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=True))
        except ValueError as exc:
            raise ValueError(f"not a CIDR range (host bits must be zero): {part!r}") from exc
    return tuple(networks)


def _carried(ip: Address) -> tuple[list[Address], bool]:
    """The IPv4 addresses an IPv6 address carries, and whether it only stands for them
    (mapped and NAT64 addresses are their IPv4 address; 6to4 and Teredo ones are IPv6
    addresses of their own as well)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return [], False
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped], True
    if ip in _NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)], True
    found: list[Address] = []
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.append(ip.teredo[1])
    return found, False


def _own_refusal(ip: Address) -> str | None:
    for reason, attribute in _CHECKS:
        if getattr(ip, attribute):
            return reason
    if any(ip in n for n in _ALSO_RESERVED if n.version == ip.version):
        return "reserved"
    return None if ip.is_global else "not_global"


def refusal(ip: str | Address, allowed: Iterable[Network] = ()) -> str | None:
    """Why the hub will not connect to `ip` (a reason code), or None if it may."""
    address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    carried, stands_for = _carried(address)
    judged = carried if stands_for else [*carried, address]  # the IPv4 one names the reason
    if any(a.is_unspecified for a in judged):
        return "unspecified"
    if any(a.is_multicast for a in judged):
        return "multicast"
    networks = list(allowed)
    if any(a in n for n in networks for a in [*carried, address] if a.version == n.version):
        return None
    for candidate in judged:
        reason = _own_refusal(candidate)
        if reason:
            return reason
    return None


def target(url: str, *, allow_http: bool) -> Target:
    """The parts of `url` the adapter connects with, or `OutboundRefusedError`."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefusedError("bad_url", "the URL cannot be read") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OutboundRefusedError("bad_url", "the URL is not http(s)://host/…")
    if parts.scheme == "http" and not allow_http:
        raise OutboundRefusedError("scheme_not_allowed", "only https URLs are allowed")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefusedError("credentials_in_url", "a URL may not carry user:password")
    try:
        host = parts.hostname.encode("idna").decode("ascii")  # Vietnamese names too
    except UnicodeError as exc:
        raise OutboundRefusedError("bad_url", "the URL's host name is not valid") from exc
    default = 443 if parts.scheme == "https" else 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or default, path)
