"""`custom_host` checks for header configs: no private, loopback or metadata addresses unless allowed."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["custom_host_problem", "host_allowed"]

_BLOCKED_SUFFIXES = (".local", ".internal", ".localhost", ".localdomain")
_BLOCKED_NAMES = frozenset({"localhost", "metadata", "metadata.google.internal"})


def _allowed(host: str, allowed: Iterable[str]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in allowed:
        if entry.lower() == host:
            return True
        if address is not None and "/" in entry:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Tell whether a (lowercase) host is listed in `allowed` by name, IP or CIDR."""
    return _allowed(host, allowed)


def _ip_problem(host: str) -> str | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host.replace(".", "").isdigit() or host.startswith("0x"):
            return "numeric host names are not allowed"
        return None
    if not address.is_global or address.is_multicast:
        return f"`{host}` is not a public address"
    return None


def custom_host_problem(url: str, allowed: Iterable[str]) -> str | None:
    """Return why `url` may not be used as a custom host, or None if it may."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port
    except ValueError:
        return "not a valid url"
    if parts.scheme not in ("http", "https") or not host:
        return "expected an http(s) url with a host"
    if parts.username or parts.password:
        return "credentials in the url are not allowed"
    if _allowed(host, allowed):
        return None
    if host in _BLOCKED_NAMES or host.endswith(_BLOCKED_SUFFIXES):
        return f"`{host}` is a local or internal host"
    if host.count(".") >= 10:
        return "too many labels in the host name"
    return _ip_problem(host)
