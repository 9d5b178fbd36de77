"""The address of the client behind a request, for rate limits and the metrics allow-list.

``X-Forwarded-For`` is written by whoever sends the request, so only the entries that the
deployment's own proxies appended can be believed. With ``TRUSTED_PROXY_COUNT = n`` the
request is taken to have passed exactly ``n`` proxies: ``REMOTE_ADDR`` is the last of them, and
the ``n − 1`` others each appended the address they were reached from, so the entry ``n`` from
the right is the address the first proxy saw, the first hop nobody trusted wrote. Anything to
its left came from the client and is ignored. With 0 (the default, no proxy) the header is
ignored altogether and ``REMOTE_ADDR`` is the client.
"""

import ipaddress

from django.conf import settings


def client_ip(meta) -> str | None:
    """The client's IP address from a request's ``META`` (or a websocket's equivalent);
    None when there is none to be had (a test client without REMOTE_ADDR)."""
    remote = _address(meta.get("REMOTE_ADDR", ""))
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if not hops:
        # Not through the proxies at all (a probe from inside the deployment).
        return remote
    # Fewer entries than proxies: the request came in past some of them, and the leftmost
    # entry is the furthest hop on record.
    hop = hops[-trusted] if len(hops) >= trusted else hops[0]
    return _address(hop) or remote


def _address(text: str) -> str | None:
    """``text`` as a normalised IP address, None if it is not one (a header is free text)."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_network(address: str) -> str:
    """What one client holds of ``address``, to count it by: an IPv4 address itself, the /64
    of an IPv6 one (a phone or a household gets a whole /64 and may use any address in it)."""
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:  # ::ffff:192.0.2.7, an IPv4 client of a dual-stack socket
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))
