"""Console sign-in: the admin token, once, in a form; then a signed session cookie.

The cookie is `<issued epoch>.<HMAC-SHA256(admin token, issued)>`: it never contains the token, it
expires after `SESSION_S`, and rotating `GW_ADMIN_TOKEN` invalidates every session. It is `HttpOnly`
(scripts cannot read it), `SameSite=Strict` (no other site's page can send it along) and `Secure`
when the request came over HTTPS. State-changing requests (sign in, sign out) must also carry an
`Origin` (or `Referer`) of this host, so a cross-site form cannot post them.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["COOKIE", "SESSION_S", "issue_session", "same_origin", "valid_session"]

COOKIE = "gw_console"
"""Name of the session cookie."""
SESSION_S = 12 * 3600
"""How long a session lasts."""


def _mac(token: str, issued: str) -> str:
    return hmac.new(token.encode(), f"gw-console:{issued}".encode(), hashlib.sha256).hexdigest()


def issue_session(token: str, now: float | None = None) -> str:
    """A new session cookie value for the admin token."""
    issued = str(int(time.time() if now is None else now))
    return f"{issued}.{_mac(token, issued)}"


def valid_session(token: str, value: str | None, now: float | None = None) -> bool:
    """Whether `value` is an unexpired session issued for `token`."""
    if not value or "." not in value:
        return False
    issued, _, mac = value.partition(".")
    if not issued.isdigit():
        return False
    age = (time.time() if now is None else now) - int(issued)
    if not 0 <= age <= SESSION_S:
        return False
    return hmac.compare_digest(mac.encode(), _mac(token, issued).encode())


def same_origin(headers: Mapping[str, str]) -> bool:
    """Whether a state-changing request comes from a page of this host (Origin, else Referer)."""
    host = headers.get("host", "")
    source = headers.get("origin") or headers.get("referer") or ""
    if not host or not source or source == "null":
        return False
    return urlsplit(source).netloc.lower() == host.lower()
