"""Who the client is: the one place that turns a request's peer and ``X-Forwarded-For`` into
the client's address, for the rate limiter, the login lockout and the access log alike.

Behind a reverse proxy every request comes from the proxy, so the proxy's address says nothing
about the client; the proxy appends the address it saw to ``X-Forwarded-For``. That header is
believed only as far as it was written by proxies we trust (``FUNDVOTE_TRUSTED_PROXIES``):

- the direct peer is not a trusted proxy (or none is configured): the client is the peer, and
  any ``X-Forwarded-For`` it sends is ignored (anyone can write that header);
- the peer is a trusted proxy: walk ``X-Forwarded-For`` from the right, skipping trusted
  proxies; the first address that is not one is the client. Addresses further left were
  written by the client or its own proxies and prove nothing.

Pure functions of plain values (no Flask), so the WSGI layer and tests call them alike.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from notary.errors import N_

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ENVIRON_KEY = "fundvote.client"
"""The WSGI environ key where :func:`remember_client` stores the client address (the access
log prints it with gunicorn's ``%({fundvote.client}e)s``)."""
UNKNOWN = "unknown"


class BadProxySetting(ValueError):
    """``FUNDVOTE_TRUSTED_PROXIES`` names something that is not an address or network;
    ``entry`` is that something."""

    message = N_("FUNDVOTE_TRUSTED_PROXIES: '%(entry)s' is not an address or network")

    def __init__(self, entry: str) -> None:
        self.entry = entry
        super().__init__(self.message % {"entry": entry})


def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    """Parse a comma-separated list of addresses and CIDR networks (empty: trust nobody).

    Raises :class:`BadProxySetting` naming the first entry that is neither."""
    networks: list[Network] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise BadProxySetting(entry) from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, trusted: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Iterable[Network]) -> str:
    """The client's address as text (see the module docstring for the rule).

    Guarantees: with no trusted proxy, or a peer that is not one, the answer is the peer's
    address whatever the headers say; otherwise it is the rightmost forwarded address that is
    not a trusted proxy (or, when every hop is trusted, the leftmost hop). An unparsable entry
    stops the walk at the last trusted hop. ``unknown`` only when the peer itself is missing.
    """
    trusted = tuple(trusted)
    peer_address = _address(peer or "")
    if peer_address is None:
        return UNKNOWN
    if not trusted or not _is_trusted(peer_address, trusted) or not forwarded_for:
        return str(peer_address)
    nearest = peer_address
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            return str(nearest)
        if not _is_trusted(address, trusted):
            return str(address)
        nearest = address
    return str(nearest)


def environ_client(environ: Mapping[str, Any], trusted: Iterable[Network]) -> str:
    """:func:`client_address` of a WSGI request."""
    return client_address(environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"), trusted)


class ClientAddressMiddleware:
    """WSGI middleware that stores the client address in ``environ[ENVIRON_KEY]`` before the
    application runs, so every later reader (views, the limiter, gunicorn's access log) sees
    the same answer."""

    def __init__(self, app: Any, trusted: Iterable[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ[ENVIRON_KEY] = environ_client(environ, self.trusted)
        return self.app(environ, start_response)
