"""Public address space, judged the same way by the stack config (stacks/) and the policy pack (policies/rules/):
standard library only, so the pack can import it without the program's code.

"Open to the internet" is a question of coverage of the PUBLIC address space, not of spelling: 0.0.0.0/0,
0.0.0.0/1 + 128.0.0.0/1, and the 37 CIDRs that cover every public IPv4 address around the reserved blocks all
admit every client on the internet. Reserved and private blocks are left out of the judgement: no internet
client has such an address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

RESERVED_IPV4 = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip
"""IPv4 blocks no internet client holds: private (RFC 1918), shared (RFC 6598), loopback, link-local,
documentation, benchmarking, 6to4 relay, multicast and reserved (IANA IPv4 Special-Purpose Address Registry,
https://www.iana.org/assignments/iana-ipv4-special-registry/, RFC 6890)."""

NOT_ROUTED_IPV4 = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip
"""The part of RESERVED_IPV4 that no packet from the internet carries as its source: this network, private,
shared (carrier-grade NAT), loopback, link-local, multicast and class E. (The documentation ranges such as
198.51.100.0/24 are reserved too, but serve as examples in this project's docs and tests.)"""

RESERVED_IPV6 = tuple(
    ipaddress.IPv6Network(cidr) for cidr in ("::/3", "4000::/2", "8000::/1", "2001::/23", "2001:db8::/32")
)
"""IPv6 outside global unicast 2000::/3 (RFC 4291 section 2.4), IETF protocol assignments and documentation
(IANA IPv6 Special-Purpose Address Registry)."""


def networks(cidrs: Iterable[object]) -> list[Network]:
    """The entries that are CIDRs (host bits allowed); anything else is left to the callers' shape checks."""
    parsed: list[Network] = []
    for cidr in cidrs:
        try:
            parsed.append(ipaddress.ip_network(str(cidr), strict=False))
        except ValueError:
            continue
    return parsed


def covers_public_internet(cidrs: Iterable[object]) -> bool:
    """Whether the CIDRs together admit every public IPv4 address, or every global unicast IPv6 address:
    with the reserved blocks added, they collapse to 0.0.0.0/0 (or ::/0)."""
    parsed = networks(cidrs)
    ipv4 = [n for n in parsed if isinstance(n, ipaddress.IPv4Network)]
    ipv6 = [n for n in parsed if isinstance(n, ipaddress.IPv6Network)]
    if ipv4 and any(n.prefixlen == 0 for n in ipaddress.collapse_addresses([*ipv4, *RESERVED_IPV4])):
        return True
    return bool(ipv6) and any(n.prefixlen == 0 for n in ipaddress.collapse_addresses([*ipv6, *RESERVED_IPV6]))


def not_routed(cidr: Network) -> bool:
    """Whether the whole block lies in NOT_ROUTED_IPV4 (or outside IPv6 global unicast): no internet client can
    come from it."""
    blocks = NOT_ROUTED_IPV4 if isinstance(cidr, ipaddress.IPv4Network) else RESERVED_IPV6[:3]
    return any(cidr.subnet_of(block) for block in blocks if block.version == cidr.version)  # type: ignore[arg-type]
