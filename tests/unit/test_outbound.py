"""The rules against server-side request forgery (`domain/outbound.py`, issue 16, R-PROP-8:
other systems connect without opening the hub's network to them): which
addresses and URLs the hub refuses to call, checked address class by address class, and
against IANA's special-purpose registries written out here independently of the code."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, strategies as st

from chalicelib.config import Settings
from chalicelib.domain.outbound import (
    OutboundRefusedError,
    Target,
    parse_networks,
    refusal,
    target,
)

ON_PREM = parse_networks("10.20.0.0/16, fd12:3456::/48, 127.0.0.0/8")


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("::1", "loopback"),
    ("169.254.169.254", "link_local"),  # the cloud metadata service
    ("169.254.0.1", "link_local"), ("fe80::1", "link_local"), ("febf:ffff::1", "link_local"),
    ("10.0.0.1", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
    ("192.168.1.1", "private"), ("fc00::1", "private"), ("fd00:ec2::254", "private"),
    ("100.64.0.1", "not_global"), ("100.127.255.254", "not_global"),  # carrier-grade NAT
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("0.1.2.3", "private"), ("192.0.2.1", "private"), ("198.51.100.7", "private"),
    ("203.0.113.9", "private"), ("198.18.0.1", "private"), ("2001:db8::1", "private"),
    ("240.0.0.1", "private"), ("255.255.255.255", "private"),
    ("192.0.0.8", "reserved"), ("192.88.99.1", "reserved"), ("fec0::1", "reserved"),
    ("3fff::1", "reserved"), ("5f00::1", "reserved"),
])
def test_each_class_of_address_that_is_not_public_is_refused(address: str, reason: str) -> None:
    assert refusal(address) == reason


@pytest.mark.parametrize(("address", "reason"), [
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link_local"),
    ("::ffff:10.1.1.1", "private"),
    ("64:ff9b::7f00:1", "loopback"), ("64:ff9b::a9fe:a9fe", "link_local"),  # NAT64
    ("2002:7f00:1::1", "loopback"), ("2002:c0a8:101::1", "private"),  # 6to4
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo, client 127.0.0.1
])
def test_an_ipv6_address_carrying_a_refused_ipv4_one_is_refused_for_it(address: str,
                                                                       reason: str) -> None:
    assert refusal(address) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "203.162.4.191", "14.225.0.1",
                                     "2606:4700::1111", "2001:4860:4860::8888",
                                     "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(address) is None


def test_an_operators_ranges_allow_their_addresses_and_no_others() -> None:
    assert refusal("10.20.3.4", ON_PREM) is None
    assert refusal("::ffff:10.20.3.4", ON_PREM) is None
    assert refusal("fd12:3456::9", ON_PREM) is None
    assert refusal("127.0.0.1", ON_PREM) is None
    assert refusal("10.21.0.1", ON_PREM) == "private"
    assert refusal("fd12:3457::9", ON_PREM) == "private"
    assert refusal("169.254.169.254", ON_PREM) == "link_local"


def test_unspecified_and_multicast_are_never_a_destination_even_when_allowed() -> None:
    everything = parse_networks("0.0.0.0/0, ::/0")
    assert refusal("0.0.0.0", everything) == "unspecified"
    assert refusal("::", everything) == "unspecified"
    assert refusal("224.0.0.1", everything) == "multicast"
    assert refusal("10.0.0.1", everything) is None


# IANA IPv4 / IPv6 special-purpose address registries: blocks not globally reachable (or
# not a unicast destination), written here without the code's help.
IANA_V4 = [ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4")]
IANA_V6_IN_2000_3 = [ipaddress.IPv6Network(n) for n in (
    "2001::/16", "2002::/16", "3fff::/20")]  # 2001:: holds Teredo, ORCHID, documentation


def _v4(n: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(n)


@given(st.integers(0, 2**32 - 1))
def test_every_ipv4_address_is_refused_exactly_when_iana_says_it_is_special(n: int) -> None:
    address = _v4(n)
    special = any(address in block for block in IANA_V4)
    assert (refusal(address) is not None) == special, address


@given(st.sampled_from(IANA_V4), st.integers(0, 2**32 - 1))
def test_every_special_ipv4_block_is_refused_throughout(block: ipaddress.IPv4Network,
                                                        offset: int) -> None:
    address = block[offset % block.num_addresses]
    assert refusal(address) is not None, address
    assert refusal(f"::ffff:{address}") is not None, address


@given(st.integers(0x2000 << 112, (0x4000 << 112) - 1))
def test_global_unicast_ipv6_outside_the_special_blocks_is_allowed(n: int) -> None:
    address = ipaddress.IPv6Address(n)
    if not any(address in block for block in IANA_V6_IN_2000_3):
        assert refusal(address) is None, address


@given(st.integers(0, 2**128 - 1))
def test_ipv6_outside_global_unicast_is_refused(n: int) -> None:
    address = ipaddress.IPv6Address(n)
    if address not in ipaddress.IPv6Network("2000::/3") and address.ipv4_mapped is None \
            and address not in ipaddress.IPv6Network("64:ff9b::/96"):
        assert refusal(address) is not None, address


# -- URLs ------------------------------------------------------------------------------

def test_an_https_url_gives_its_parts() -> None:
    assert target("https://hooks.so-tc.gov.vn/lgsp?x=1", allow_http=False) == Target(
        "https", "hooks.so-tc.gov.vn", 443, "/lgsp?x=1")
    assert target("https://[2001:4860::1]:8443", allow_http=False) == Target(
        "https", "2001:4860::1", 8443, "/")
    assert target("https://sở-tài-chính.vn/", allow_http=False).host.startswith("xn--")


@pytest.mark.parametrize(("url", "allow_http", "reason"), [
    ("http://hooks.example.vn/", False, "scheme_not_allowed"),
    ("ftp://hooks.example.vn/", True, "bad_url"),
    ("file:///etc/passwd", True, "bad_url"),
    ("gopher://127.0.0.1:25/", True, "bad_url"),
    ("https:///nohost", False, "bad_url"),
    ("https://hooks.example.vn:99999/", False, "bad_url"),
    ("https://user:pw@hooks.example.vn/", False, "credentials_in_url"),
    ("https://user@hooks.example.vn/", False, "credentials_in_url"),
    ("https://[::1/", False, "bad_url"),
])
def test_urls_the_hub_will_not_call(url: str, allow_http: bool, reason: str) -> None:
    with pytest.raises(OutboundRefusedError) as caught:
        target(url, allow_http=allow_http)
    assert caught.value.reason == reason


def test_http_only_where_the_setting_allows_it() -> None:
    assert target("http://127.0.0.1:8080/hook", allow_http=True).port == 8080


def test_the_settings_read_the_ranges_and_stop_on_a_bad_one() -> None:
    settings = Settings.from_env({"LGSP_WEBHOOK_ALLOW_PRIVATE": "10.20.0.0/16,fd12::/16",
                                  "LGSP_WEBHOOK_ALLOW_HTTP": "true"})
    assert settings.webhook_allow_http is True
    assert settings.webhook_private_networks == (ipaddress.ip_network("10.20.0.0/16"),
                                                  ipaddress.ip_network("fd12::/16"))
    assert Settings().webhook_private_networks == ()
    with pytest.raises(ValueError, match="10.20.0.1/16"):
        Settings.from_env({"LGSP_WEBHOOK_ALLOW_PRIVATE": "10.20.0.1/16"})
