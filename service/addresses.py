"""Whether a webhook may be sent to a host: duban posts to the group robots of 企业微信 and 钉钉, public
services on the internet, so an address inside the network (loopback, private, link-local, the cloud
metadata address …) is refused unless ``[robots] allow_private_hosts`` says a relay there is meant.

Without this check an admin's URL (or a stolen admin session) could make duban post to services that
only trust the inside of the network (server-side request forgery).
"""

from __future__ import annotations

import ipaddress
import socket

_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def _non_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def literal_refusal(host: str) -> str | None:
    """Why ``host`` as written is not a public address (an IP literal or a local name), else None.
    Needs no DNS: used when the admin sets a URL."""
    name = host.strip("[]").rstrip(".").lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return f"{host} 是本机地址"
    if _non_public(name):
        return f"{host} 是内网或保留地址"
    return None


def resolved_refusal(host: str, port: int | None) -> str | None:
    """Why ``host`` resolves to an address that is not public, else None (also when it does not resolve:
    sending then fails on its own, as a temporary error). Used just before each post, so a name that was
    public when it was set and points inside later is caught too."""
    said = literal_refusal(host)
    if said:
        return said
    try:
        found = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return None
    for *_, sockaddr in found:
        if _non_public(str(sockaddr[0])):
            return f"{host} 解析到内网或保留地址 {sockaddr[0]}"
    return None
