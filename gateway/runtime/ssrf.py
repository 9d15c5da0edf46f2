"""The custom-host SSRF guard: private, loopback, link-local and metadata addresses are refused.

A host is allowed when it resolves only to public addresses, or when the policy's
`allowed_custom_hosts` or the environment variable `GW_ALLOWED_CUSTOM_HOSTS` (comma-separated host
names, IP addresses or CIDRs) names it. Names are resolved (and cached briefly) so that a public name
pointing at a private address is refused too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

from gateway.errors import RequestError

__all__ = ["HostGuard"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_BLOCKED_NAMES = ("localhost", "metadata", "metadata.google.internal", "instance-data")
_BLOCKED_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")
_RESOLVE_TTL_S = 60.0


def _refused(url: str, why: str) -> RequestError:
    return RequestError(
        f"custom_host `{url[:200]}` is not allowed: {why}; allow it in the policy's allowed_custom_hosts "
        "or GW_ALLOWED_CUSTOM_HOSTS",
        param="custom_host",
        code="custom_host_refused",
    )


def _is_public(addr: IPAddress) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return not (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or not addr.is_global
    )


def _host_of(url: str) -> str:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        raise _refused(url, "not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise _refused(url, "only http and https are allowed")
    if parts.username is not None or parts.password is not None:
        raise _refused(url, "credentials in the URL are not allowed")
    host = (parts.hostname or "").lower()
    if not host:
        raise _refused(url, "no host")
    return host


class HostGuard:
    """Decides whether a custom host may be called."""

    def __init__(self, allowed: Iterable[str]) -> None:
        self._names: set[str] = set()
        self._networks: list[IPNetwork] = []
        for entry in (e.strip().lower() for e in allowed):
            if not entry:
                continue
            try:
                self._networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._names.add(entry.strip("[]"))
        self._resolved: dict[str, tuple[float, tuple[IPAddress, ...]]] = {}

    def _allowed_addr(self, addr: IPAddress) -> bool:
        return any(addr in net for net in self._networks)

    def check_static(self, url: str) -> tuple[str, IPAddress | None]:
        """Check what can be decided without DNS; return the host and its address when literal."""
        host = _host_of(url)
        try:
            addr: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            addr = None
        if host in self._names or (addr is not None and self._allowed_addr(addr)):
            return host, addr
        if addr is not None:
            if not _is_public(addr):
                raise _refused(url, "private, loopback, link-local or reserved address")
            return host, addr
        if host in _BLOCKED_NAMES or host.endswith(_BLOCKED_SUFFIXES):
            raise _refused(url, "internal host name")
        if host.replace(".", "").isdigit() or host.startswith("0x") or "." not in host:
            raise _refused(url, "numeric or single-label host names are not allowed")
        return host, None

    def is_named_allowed(self, host: str) -> bool:
        """Whether the host is allowed by name (no resolution needed)."""
        return host in self._names

    async def check(self, url: str) -> None:
        """Refuse the URL (RequestError) unless it is allowed or resolves only to public addresses."""
        host, addr = self.check_static(url)
        if addr is not None or host in self._names:
            return
        for resolved in await self._resolve(url, host):
            if not (_is_public(resolved) or self._allowed_addr(resolved)):
                raise _refused(url, f"`{host}` resolves to a private address")

    async def _resolve(self, url: str, host: str) -> tuple[IPAddress, ...]:
        cached = self._resolved.get(host)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            raise _refused(url, f"`{host}` does not resolve") from None
        addrs = tuple(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos)
        if len(self._resolved) > 1024:
            self._resolved.clear()
        self._resolved[host] = (now + _RESOLVE_TTL_S, addrs)
        return addrs
