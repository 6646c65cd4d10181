"""The client's address of an HTTP request, and the network it belongs to.

Behind ``TRUSTED_PROXY_COUNT`` proxies that each append the address they were reached from to
``X-Forwarded-For``, the client is the entry that many places from the right: entries further
left were written by the client and prove nothing. Without trusted proxies the header is ignored
and the client is the connection's peer (``REMOTE_ADDR``).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(value: str) -> Address | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(request: HttpRequest) -> str:
    """The client's address as text (``""`` when the server was given none it can read)."""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()
        ]
        if forwarded:
            # Fewer entries than proxies: the request skipped an outer proxy; the leftmost
            # entry is then the best there is.
            chosen = _parse(forwarded[-hops] if len(forwarded) >= hops else forwarded[0])
            if chosen is not None:
                return str(chosen)
    return str(peer) if peer is not None else ""


def client_network(address: str) -> str:
    """The subnet an address belongs to (IPv4 /24, IPv6 /64 unless configured otherwise): one
    household, office or hosting customer usually holds the whole of it."""
    parsed = _parse(address)
    if parsed is None:
        return address
    bits = settings.THROTTLE_SUBNET_V4 if parsed.version == 4 else settings.THROTTLE_SUBNET_V6
    return str(ipaddress.ip_network(f"{parsed}/{bits}", strict=False))


def address_exempt(address: str) -> bool:
    """Whether the address is in one of ``THROTTLE_EXEMPT_NETWORKS``."""
    parsed = _parse(address)
    if parsed is None:
        return False
    return any(
        parsed in ipaddress.ip_network(network, strict=False)
        for network in settings.THROTTLE_EXEMPT_NETWORKS
    )
