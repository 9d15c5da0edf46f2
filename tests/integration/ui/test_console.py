"""The console over real HTTP: sign-in, session cookie, CSRF refusals, and what the page shows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from compiler.specs import CompiledGateway
from gateway.http.ui.auth import COOKIE, SESSION_S, issue_session
from gateway.telemetry import ConsoleFeed, Metrics, Telemetry
from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.gateway.conftest import ServeFn
from tests.integration.gateway.server import GatewayServer

MESSAGES = [{"role": "user", "content": "hi"}]


@contextmanager
def _signed_in(server: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base) as client:
        answer = client.post("/ui/login", data={"token": "admin-secret"}, headers={"origin": server.base})
        assert answer.status_code == 303
        yield client


def test_console_is_404_when_no_admin_token_is_set(
    manifests: Callable[[], CompiledGateway], serve: ServeFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GW_ADMIN_TOKEN", raising=False)
    server = serve(manifests(), admin_token="")
    for path in ("/ui", "/ui/login"):
        answer = httpx.get(server.base + path)
        assert answer.status_code == 404
        assert "GW_ADMIN_TOKEN" in answer.json()["error"]["message"]


def test_console_without_a_session_redirects_to_the_sign_in_form(console_server: GatewayServer) -> None:
    answer = httpx.get(console_server.base + "/ui")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login"
    form = httpx.get(console_server.base + "/ui/login")
    assert form.status_code == 200
    assert 'name="token"' in form.text
    assert "script-src" not in form.headers["content-security-policy"]  # no scripts allowed at all
    assert form.headers["x-frame-options"] == "DENY"


def test_sign_in_sets_an_httponly_samesite_strict_cookie_without_the_token(
    console_server: GatewayServer,
) -> None:
    answer = httpx.post(
        console_server.base + "/ui/login",
        data={"token": "admin-secret"},
        headers={"origin": console_server.base},
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/ui" in cookie
    assert "admin-secret" not in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback; set when the request came over HTTPS


def test_wrong_token_is_refused_with_401_and_no_cookie(console_server: GatewayServer) -> None:
    answer = httpx.post(
        console_server.base + "/ui/login", data={"token": "guess"}, headers={"origin": console_server.base}
    )
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers
    assert "not the admin token" in answer.text


@pytest.mark.parametrize(
    "headers", [{}, {"origin": "https://evil.example"}, {"referer": "https://evil.example/x"}]
)
def test_cross_site_sign_in_is_refused(console_server: GatewayServer, headers: dict[str, str]) -> None:
    answer = httpx.post(console_server.base + "/ui/login", data={"token": "admin-secret"}, headers=headers)
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


def test_cross_site_sign_out_is_refused_and_same_site_sign_out_clears_the_cookie(
    console_server: GatewayServer,
) -> None:
    with _signed_in(console_server) as client:
        assert client.post("/ui/logout", headers={"origin": "https://evil.example"}).status_code == 403
        assert client.get("/ui").status_code == 200
        answer = client.post("/ui/logout", headers={"origin": console_server.base})
        assert answer.status_code == 303
        assert "Max-Age=0" in answer.headers["set-cookie"]
        assert client.get("/ui").status_code == 303


@pytest.mark.parametrize(
    "cookie",
    ["forged", "123.abc", issue_session("another-token"), issue_session("admin-secret", now=1.0)],
)
def test_forged_expired_or_foreign_sessions_are_not_accepted(
    console_server: GatewayServer, cookie: str
) -> None:
    answer = httpx.get(console_server.base + "/ui", cookies={COOKIE: cookie})
    assert answer.status_code == 303
    assert SESSION_S < 2**31


def test_page_shows_routes_with_sources_and_the_attempt_trail_of_a_fallback(
    console_server: GatewayServer, upstreams: dict[str, FakeOpenAI]
) -> None:
    upstreams["a"].script(Reply(status=503))
    console_server.client("chat").chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with _signed_in(console_server) as client:
        page = client.get("/ui").text
    assert re.search(r'<h3><span>chat</span><span class="src">configs/routes.yaml:1</span>', page)
    assert "configs/routes.yaml:9" in page and "configs/routes.yaml:11" in page  # the two targets
    assert "fallback" in page
    assert re.search(r"a 503 · \d+ ms</span>→<span[^>]*>b 200", page)
    assert page.count("<svg") == 4
    assert "<rect" in page  # the traffic bar of this minute


def test_page_shows_guardrail_verdicts_cache_hits_and_spend(
    console_server: GatewayServer, upstreams: dict[str, FakeOpenAI]
) -> None:
    del upstreams
    console_server.client("chat").chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "you idiot"}]
    )
    solo = console_server.client("solo")
    for _ in range(2):
        solo.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with _signed_in(console_server) as client:
        page = client.get("/ui").text
    assert re.search(r"<td>polite</td><td><span[^>]*>flag</span></td><td class=\"num\">1</td>", page)
    assert "served from cache" in page
    assert "50%" in page  # one hit out of two lookups
    assert re.search(r"<td>gpt-4o-mini</td><td class=\"num\">\$0\.\d+</td>", page)


def test_client_supplied_text_is_escaped(
    manifests: Callable[[], CompiledGateway], serve: ServeFn, upstreams: dict[str, FakeOpenAI]
) -> None:
    del upstreams
    server = serve(manifests(), telemetry=Telemetry(metrics=Metrics(), console=ConsoleFeed()))
    server.client("solo").chat.completions.create(model="<script>alert(1)</script>", messages=MESSAGES)
    with _signed_in(server) as client:
        page = client.get("/ui").text
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_page_shows_a_refused_reload_with_its_diagnostics(
    manifests: Callable[[], CompiledGateway], serve: ServeFn
) -> None:
    telemetry = Telemetry(console=ConsoleFeed())
    server = serve(manifests(), telemetry=telemetry)
    telemetry.config_reloaded(
        old_hash="sha256:old", new_hash="sha256:new", ok=False,
        diagnostics=["configs/routes.yaml:3:7: error[GW-E0301]: unknown provider `x`"],
    )  # fmt: skip
    with _signed_in(server) as client:
        page = client.get("/ui").text
    assert "refused" in page
    assert "configs/routes.yaml:3:7: error[GW-E0301]: unknown provider `x`" in page


@pytest.mark.parametrize(
    ("form", "status"), [("&".join(f"f{i}=x" for i in range(20)), 400), ("token=" + "x" * 5000, 413)]
)
def test_malformed_sign_in_forms_are_4xx_naming_the_problem(
    console_server: GatewayServer, form: str, status: int
) -> None:
    answer = httpx.post(
        console_server.base + "/ui/login",
        content=form,
        headers={"origin": console_server.base, "content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == status
    assert answer.json()["error"]["message"]
