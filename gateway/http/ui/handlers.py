"""`/ui`: the admin console's handlers (sign in, the console page, sign out), server-rendered with jinja2.

Disabled (404) when `GW_ADMIN_TOKEN` is unset. Every page is sent with a strict Content-Security-Policy
(no scripts at all, inline styles only), `no-store` caching and frame denial.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from jinja2 import Environment, PackageLoader, select_autoescape
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.handlers import BaseRouteHandler
from litestar.response import Redirect

from gateway.errors import NotFound, PayloadTooLarge, RequestError
from gateway.http.ui.auth import COOKIE, SESSION_S, issue_session, same_origin, valid_session
from gateway.http.ui.view import WINDOW_MINUTES, breaker_rows, charts, recent_rows, route_trees, totals
from gateway.storage.reports import usage_report
from gateway.telemetry import ReloadRecord

if TYPE_CHECKING:
    from gateway.http.routes import HttpServices

__all__ = ["REFRESH_S", "ui_handlers"]

REFRESH_S = 15
"""The console page reloads itself this often."""
_FORM_LIMIT = 4096
_LEDGER_TIMEOUT_S = 2.0
_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}
AnyRequest = Request[Any, Any, Any]  # Any: litestar's user/auth/state parameters are unused
_LOG = logging.getLogger("gw.ui")


def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("gateway.http.ui", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page(env: Environment, name: str, status: int = 200, **context: Any) -> Response[str]:  # Any: template
    body = env.get_template(name).render(**context)
    return Response(content=body, status_code=status, media_type="text/html", headers=_HEADERS)


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch)) if epoch else "–"


async def _form(request: AnyRequest) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _FORM_LIMIT:
            raise PayloadTooLarge(f"the sign-in form is limited to {_FORM_LIMIT} bytes")
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=8)
    except ValueError:
        raise RequestError("the sign-in form has too many fields: send only `token`", param="token") from None
    return {name: values[0] for name, values in fields.items() if values}


def _cookie(request: AnyRequest, value: str, max_age: int) -> Cookie:
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    return Cookie(key=COOKIE, value=value, path="/ui", max_age=max_age, httponly=True, samesite="strict",
                  secure=secure)  # fmt: skip


async def _ledger_spend(services: HttpServices) -> dict[str, list[tuple[str, float]]] | None:
    """Spend by key, route and model over the window from the usage ledger (None: storage off/down)."""
    storage = services.storage() if services.storage is not None else None
    if storage is None:
        return None
    since = datetime.now(UTC) - timedelta(minutes=WINDOW_MINUTES)
    out: dict[str, list[tuple[str, float]]] = {}
    try:
        async with asyncio.timeout(_LEDGER_TIMEOUT_S):
            for dim in ("key", "route", "model"):
                report = await usage_report(storage.engine, group_by=dim, since=since)
                out[dim] = [(g.group or "(none)", g.cost_usd) for g in report.groups if g.cost_usd][:10]
    except Exception:  # the console still renders, with telemetry's numbers, when the database is down
        _LOG.warning("console: usage ledger unavailable", exc_info=True)
        return None
    return out


def _context(services: HttpServices) -> dict[str, Any]:  # Any: template values
    serving = services.holder.current
    telemetry = services.telemetry
    feed = telemetry.console if telemetry is not None else None
    minutes = feed.window(WINDOW_MINUTES) if feed is not None else []
    reload = feed.last_reload if feed is not None else None
    config = {
        "hash": serving.gateway.config_hash,
        "generation": services.holder.generation,
        "loaded": _when(feed.loaded_at if feed is not None else 0.0),
        "reload": None if reload is None else {**_reload(reload), "when": _when(reload.at)},
    }
    return {
        "config": config,
        "feed": feed is not None,
        "window": WINDOW_MINUTES,
        "refresh_s": REFRESH_S,
        "now": time.strftime("%H:%M:%S", time.gmtime()),
        "routes": route_trees(serving.gateway.compiled),
        "breakers": breaker_rows(serving.gateway.breakers.snapshot()),
        "charts": charts(minutes),
        "totals": totals(minutes),
        "recent": recent_rows(feed) if feed is not None else [],
        "spend_source": "from this worker's telemetry",
    }


def _reload(record: ReloadRecord) -> dict[str, Any]:  # Any: template values
    return {"ok": record.ok, "old_hash": record.old_hash, "new_hash": record.new_hash,
            "diagnostics": list(record.diagnostics)}  # fmt: skip


async def _sign_in(
    env: Environment, request: AnyRequest, expected: str
) -> Response[Any]:  # Any: page/redirect
    if not same_origin(request.headers):
        return _page(env, "login.html", status=403, error="Sign-in must come from this console's own page.")
    given = (await _form(request)).get("token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return _page(env, "login.html", status=401, error="That is not the admin token.")
    cookie = _cookie(request, issue_session(expected), SESSION_S)
    return Redirect("/ui", status_code=303, headers=_HEADERS, cookies=[cookie])


def ui_handlers(services: HttpServices) -> list[BaseRouteHandler]:
    """The console's handlers bound to `services`."""
    env = _templates()

    def token() -> str:
        if not services.admin_token:
            raise NotFound("the console is disabled (set GW_ADMIN_TOKEN)")
        return services.admin_token

    @get("/ui", name="console")
    async def console(request: AnyRequest) -> Response[Any]:  # Any: a page or a redirect
        if not valid_session(token(), request.cookies.get(COOKIE)):
            return Redirect("/ui/login", status_code=303, headers=_HEADERS)
        context = _context(services)
        ledger = await _ledger_spend(services)
        if ledger is not None:
            context["totals"]["spend"], context["spend_source"] = ledger, "from the usage ledger"
        return _page(env, "console.html", **context)

    @get("/ui/login")
    async def login_form() -> Response[str]:
        token()
        return _page(env, "login.html")

    @post("/ui/login", status_code=303)
    async def login(request: AnyRequest) -> Response[Any]:  # Any: a page or a redirect
        return await _sign_in(env, request, token())

    @post("/ui/logout", status_code=303)
    async def logout(request: AnyRequest) -> Response[Any]:  # Any: a page or a redirect
        token()
        if not same_origin(request.headers):
            return _page(
                env, "login.html", status=403, error="Sign-out must come from this console's own page."
            )
        return Redirect("/ui/login", status_code=303, headers=_HEADERS, cookies=[_cookie(request, "", 0)])

    return [console, login_form, login, logout]
