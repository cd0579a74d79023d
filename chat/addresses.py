"""Which IP addresses the listing check may connect to: those on the public internet.

Python's `ipaddress` alone is not enough: 3.11.7's `is_global` takes `192.0.0.0/24` and
`3fff::/20` for public, among others. So every range of IANA's special-purpose address
registries is listed here with the RFC that reserves it, and refused whatever `ipaddress`
says, globally reachable anycast services included (no partner's web page lives there):

- https://www.iana.org/assignments/iana-ipv4-special-registry/
- https://www.iana.org/assignments/iana-ipv6-special-registry/

Multicast (RFC 5771, RFC 4291) and IPv6 site-local addresses (RFC 3879), kept in other
registries, are refused too. The IPv6 ranges that carry an IPv4 address (IPv4-mapped,
6to4, the NAT64 well-known prefix) reach that address: it decides.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class SpecialRange:
    """One entry of an IANA special-purpose registry."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    name: str
    rfc: str


def _ranges(*rows: tuple[str, str, str]) -> tuple[SpecialRange, ...]:
    return tuple(SpecialRange(ipaddress.ip_network(net), name, rfc) for net, name, rfc in rows)


SPECIAL_IPV4 = _ranges(
    ("0.0.0.0/8", "this network", "RFC 791"),
    ("0.0.0.0/32", "this host on this network", "RFC 1122"),
    ("10.0.0.0/8", "private use", "RFC 1918"),
    ("100.64.0.0/10", "shared address space", "RFC 6598"),
    ("127.0.0.0/8", "loopback", "RFC 1122"),
    ("169.254.0.0/16", "link local", "RFC 3927"),
    ("172.16.0.0/12", "private use", "RFC 1918"),
    ("192.0.0.0/24", "IETF protocol assignments", "RFC 6890"),
    ("192.0.0.0/29", "IPv4 service continuity prefix", "RFC 7335"),
    ("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
    ("192.0.0.9/32", "Port Control Protocol anycast", "RFC 7723"),
    ("192.0.0.10/32", "TURN anycast", "RFC 8155"),
    ("192.0.0.170/32", "NAT64/DNS64 discovery", "RFC 8880"),
    ("192.0.0.171/32", "NAT64/DNS64 discovery", "RFC 8880"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
    ("192.31.196.0/24", "AS112-v4", "RFC 7535"),
    ("192.52.193.0/24", "AMT", "RFC 7450"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast", "RFC 7526"),
    ("192.168.0.0/16", "private use", "RFC 1918"),
    ("192.175.48.0/24", "direct delegation AS112 service", "RFC 7534"),
    ("198.18.0.0/15", "benchmarking", "RFC 2544"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
    ("240.0.0.0/4", "reserved", "RFC 1112"),
    ("255.255.255.255/32", "limited broadcast", "RFC 8190"),
    # not in the special-purpose registry, but never a web site
    ("224.0.0.0/4", "multicast", "RFC 5771"),
)

# Ranges whose address holds an IPv4 address, which is judged instead.
TRANSLATED_IPV6 = _ranges(
    ("::ffff:0:0/96", "IPv4-mapped address", "RFC 4291"),
    ("64:ff9b::/96", "IPv4-IPv6 translation", "RFC 6052"),
    ("2002::/16", "6to4", "RFC 3056"),
)

SPECIAL_IPV6 = _ranges(
    ("::1/128", "loopback address", "RFC 4291"),
    ("::/128", "unspecified address", "RFC 4291"),
    ("64:ff9b:1::/48", "IPv4-IPv6 translation, local use", "RFC 8215"),
    ("100::/64", "discard-only address block", "RFC 6666"),
    ("100:0:0:1::/64", "dummy IPv6 prefix", "RFC 9780"),
    ("2001::/23", "IETF protocol assignments", "RFC 2928"),
    ("2001::/32", "TEREDO", "RFC 4380"),
    ("2001:1::1/128", "Port Control Protocol anycast", "RFC 7723"),
    ("2001:1::2/128", "TURN anycast", "RFC 8155"),
    ("2001:1::3/128", "DNS-SD service registration protocol anycast", "RFC 9665"),
    ("2001:2::/48", "benchmarking", "RFC 5180"),
    ("2001:3::/32", "AMT", "RFC 7450"),
    ("2001:4:112::/48", "AS112-v6", "RFC 7535"),
    ("2001:10::/28", "deprecated (previously ORCHID)", "RFC 4843"),
    ("2001:20::/28", "ORCHIDv2", "RFC 7343"),
    ("2001:30::/28", "drone remote ID protocol entity tags", "RFC 9374"),
    ("2001:db8::/32", "documentation", "RFC 3849"),
    ("2620:4f:8000::/48", "direct delegation AS112 service", "RFC 7534"),
    ("3fff::/20", "documentation", "RFC 9637"),
    ("5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602"),
    ("fc00::/7", "unique-local", "RFC 4193"),
    ("fe80::/10", "link-local unicast", "RFC 4291"),
    # not in the special-purpose registry, but never a web site
    ("::/8", "reserved by the IETF (IPv4-compatible addresses among them)", "RFC 4291"),
    ("fec0::/10", "site-local (deprecated)", "RFC 3879"),
    ("ff00::/8", "multicast", "RFC 4291"),
)

_NAT64 = TRANSLATED_IPV6[1].network


def special_range(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> SpecialRange | None:
    """The first listed special-purpose range that holds `ip`, or None."""
    ranges = SPECIAL_IPV4 if isinstance(ip, ipaddress.IPv4Address) else SPECIAL_IPV6
    return next((entry for entry in ranges if ip in entry.network), None)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches: IPv4-mapped (::ffff:a.b.c.d), 6to4
    (2002:aabb:ccdd::) or NAT64 (64:ff9b::a.b.c.d); None for the others."""
    embedded = ip.ipv4_mapped or ip.sixtofour
    if embedded is None and ip in _NAT64:
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return embedded


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet; anything unparsable is not."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id is not None:  # fe80::1%eth0: a zone is for link-local addresses
            return False
        embedded = embedded_ipv4(ip)
        if embedded is not None:
            return is_public(str(embedded))
    if special_range(ip) is not None:
        return False
    # The standard library's view as well, in case it knows of a range not listed here.
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
    )
