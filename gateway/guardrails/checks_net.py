"""Checks that wait on the network: Portkey's `webhook` and `validUrls`.

Both share the engine's aiohttp session and always run after every in-process check. Webhook
headers may name environment variables (`{"env": "NAME"}`) so no credential sits in the compiled
artifact; they are read once when the engine is built and never reported. `validUrls` refuses to
fetch private, loopback and link-local addresses unless told otherwise, because the URLs come from
model output and the gateway must not become a proxy into its own network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
from collections.abc import Callable
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import aiohttp
import msgspec

from gateway.guardrails.check import AsyncCheck, CheckResult, Subject

__all__ = ["EnvRef", "SessionSource", "ValidUrls", "ValidUrlsParams", "Webhook", "WebhookParams"]

SessionSource = Callable[[], aiohttp.ClientSession]


class EnvRef(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A header value read from an environment variable when the engine is built."""

    env: str


class WebhookParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `webhook`."""

    webhookURL: str
    headers: dict[str, str | EnvRef] = msgspec.field(default_factory=dict)
    timeout: int = 3000
    failMode: Literal["open", "closed"] = "open"


class Webhook(AsyncCheck):
    """POST the hook context to a URL that answers `{"verdict": bool, "data": ...}`."""

    cost: ClassVar[int] = 1000

    def __init__(self, p: WebhookParams, session: SessionSource) -> None:
        self.url = p.webhookURL
        self.headers = {k: self._resolve(k, v) for k, v in p.headers.items()}
        self.timeout = aiohttp.ClientTimeout(total=p.timeout / 1000)
        self.fail_closed = p.failMode == "closed"
        self.session = session

    @staticmethod
    def _resolve(name: str, value: str | EnvRef) -> str:
        if isinstance(value, str):
            return value
        found = os.environ.get(value.env)
        if found is None:
            raise ValueError(
                f"webhook header `{name}` names environment variable `{value.env}`, which is not set"
            )
        return found

    def _payload(self, subject: Subject) -> dict[str, Any]:  # Any: Portkey's hook context
        response = subject.body if subject.phase == "output" else {}
        return {
            "request": {"json": subject.request, "text": subject.text if subject.phase == "input" else ""},
            "response": {"json": response, "text": subject.text if subject.phase == "output" else ""},
            "metadata": subject.ctx.metadata,
            "eventType": "beforeRequestHook" if subject.phase == "input" else "afterRequestHook",
        }

    async def arun(self, subject: Subject) -> CheckResult:
        """Call the webhook; a failure passes (fail open) or fails (fail closed) as declared."""
        try:
            async with self.session().post(
                self.url, json=self._payload(subject), headers=self.headers, timeout=self.timeout
            ) as resp:
                if resp.status >= 400:
                    raise ValueError(f"webhook answered HTTP {resp.status}")
                answer = await resp.json(content_type=None)
            if not isinstance(answer, dict) or not isinstance(answer.get("verdict"), bool):
                raise ValueError("webhook answer has no boolean `verdict`")
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            reason = (
                str(exc) if isinstance(exc, ValueError) else f"webhook unreachable ({type(exc).__name__})"
            )
            if self.fail_closed:
                return CheckResult(False, {"explanation": f"{reason}; failing closed", "failMode": "closed"})
            return CheckResult(
                False, {"explanation": f"{reason}; failing open", "failMode": "open"}, error=reason
            )
        return CheckResult(answer["verdict"], {"webhookData": answer.get("data")})


class ValidUrlsParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `validUrls`."""

    onlyDNS: bool = False
    not_: bool = msgspec.field(default=False, name="not")
    timeout: int = 3000
    allowPrivateHosts: bool = False


_URL = re.compile(r"https?://[^\s<>\"'`]+")


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global


class ValidUrls(AsyncCheck):
    """Pass when every http(s) URL in the text resolves (`onlyDNS`) or answers a GET with 2xx/3xx."""

    cost: ClassVar[int] = 900

    def __init__(self, p: ValidUrlsParams, session: SessionSource) -> None:
        self.only_dns, self.negate = p.onlyDNS, p.not_
        self.allow_private = p.allowPrivateHosts
        self.timeout = aiohttp.ClientTimeout(total=p.timeout / 1000)
        self.session = session

    async def _resolves(self, host: str) -> bool:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return False
        addresses = [str(info[4][0]) for info in infos]
        return bool(addresses) and (self.allow_private or all(_public(a) for a in addresses))

    async def _valid(self, url: str) -> bool:
        host = urlsplit(url).hostname
        if not host or not await self._resolves(host):
            return False
        if self.only_dns:
            return True
        try:
            async with self.session().get(url, timeout=self.timeout, allow_redirects=False) as resp:
                return resp.status < 400
        except (TimeoutError, aiohttp.ClientError, ValueError):
            return False

    async def arun(self, subject: Subject) -> CheckResult:
        """Check every URL concurrently."""
        urls = list(dict.fromkeys(u.rstrip(".,;:!?)]}") for u in _URL.findall(subject.text)))
        results = await asyncio.gather(*(self._valid(u) for u in urls))
        invalid = [u for u, ok in zip(urls, results, strict=True) if not ok]
        verdict = not invalid
        data = {"checkedUrls": len(urls), "invalidUrls": len(invalid), "not": self.negate}
        return CheckResult(not verdict if self.negate else verdict, data)
