"""webhook and validUrls against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.guardrails import GuardrailEngine
from gateway.ports import CheckContext
from tests.gateway.guardrails.build import chat, completion, guardrail

CTX = CheckContext(metadata={"team": "a"})


class Hook:
    """A webhook that records what it was sent and answers as told."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.answer: Any = {"verdict": True, "data": {"score": 0.1}}
        self.status = 200
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((dict(request.headers), await request.json()))
        await asyncio.sleep(self.delay)
        return web.json_response(self.answer, status=self.status)


async def ok(_: web.Request) -> web.Response:
    return web.Response(text="ok")


async def missing(_: web.Request) -> web.Response:
    return web.Response(status=404)


@pytest.fixture
async def hook() -> AsyncIterator[tuple[Hook, str]]:
    state = Hook()
    app = web.Application()
    app.router.add_post("/hook", state.handle)
    app.router.add_get("/ok", ok)
    app.router.add_get("/missing", missing)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield state, f"http://127.0.0.1:{server.port}"
    await server.close()


async def run(
    check: tuple[str, dict[str, Any]], text: str, *, phase: str = "input", action: str = "deny"
) -> Any:
    engine = GuardrailEngine((guardrail("g", check, action=action),))
    try:
        if phase == "input":
            return await engine.check_input(("g",), chat(text), CTX)
        return await engine.check_output(("g",), completion(text), chat("q"), CTX)
    finally:
        await engine.aclose()


async def test_webhook_verdict_decides_and_receives_the_hook_context(
    hook: tuple[Hook, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, base = hook
    monkeypatch.setenv("HOOK_TOKEN", "s3cret-value")
    params = {
        "webhookURL": f"{base}/hook",
        "headers": {"Authorization": {"env": "HOOK_TOKEN"}, "X-Team": "a"},
    }
    outcome = await run(("webhook", params), "hello")
    assert outcome.verdict == "pass"
    headers, payload = state.calls[0]
    assert headers["Authorization"] == "s3cret-value"
    assert payload["request"]["text"] == "hello"
    assert payload["metadata"] == {"team": "a"}
    assert payload["eventType"] == "beforeRequestHook"
    assert "s3cret-value" not in repr(outcome.hook_results)
    state.answer = {"verdict": False}
    assert (await run(("webhook", params), "hello", phase="output")).verdict == "deny"
    assert state.calls[-1][1]["response"]["text"] == "hello"


@pytest.mark.parametrize(("fail_mode", "verdict"), [("open", "pass"), ("closed", "deny")])
async def test_webhook_timeout_fails_open_or_closed_as_declared(
    hook: tuple[Hook, str], fail_mode: str, verdict: str
) -> None:
    state, base = hook
    state.delay = 0.5
    params = {"webhookURL": f"{base}/hook", "timeout": 50, "failMode": fail_mode}
    outcome = await run(("webhook", params), "hello")
    assert outcome.verdict == verdict
    assert "failing " + fail_mode in outcome.hook_results[0]["checks"][0]["data"]["explanation"]


async def test_webhook_error_status_and_bad_answers_count_as_failures(hook: tuple[Hook, str]) -> None:
    state, base = hook
    params = {"webhookURL": f"{base}/hook", "failMode": "closed"}
    state.status = 500
    assert (await run(("webhook", params), "x")).verdict == "deny"
    state.status, state.answer = 200, {"verdict": "yes"}
    assert (await run(("webhook", params), "x")).verdict == "deny"


async def test_webhook_is_not_called_once_a_deny_guardrail_already_failed(hook: tuple[Hook, str]) -> None:
    state, base = hook
    engine = GuardrailEngine(
        (
            guardrail(
                "g",
                ("contains", {"words": ["Apple"], "operator": "none"}),
                ("webhook", {"webhookURL": f"{base}/hook"}),
            ),
        )
    )
    outcome = await engine.check_input(("g",), chat("Apple"), CTX)
    await engine.aclose()
    assert outcome.verdict == "deny"
    assert state.calls == []


def test_webhook_secret_env_must_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    params = {
        "webhookURL": "http://127.0.0.1:9/hook",
        "headers": {"Authorization": {"env": "NOT_SET_ANYWHERE"}},
    }
    with pytest.raises(ValueError, match="NOT_SET_ANYWHERE"):
        GuardrailEngine((guardrail("g", ("webhook", params)),))


async def test_valid_urls_fetches_each_url(hook: tuple[Hook, str]) -> None:
    _, base = hook
    params = {"allowPrivateHosts": True, "timeout": 2000}
    ok = await run(("validUrls", params), f"see {base}/ok.", phase="output")
    bad = await run(("validUrls", params), f"see {base}/ok and {base}/missing", phase="output")
    assert (ok.verdict, bad.verdict) == ("pass", "deny")
    assert bad.hook_results[0]["checks"][0]["data"]["invalidUrls"] == 1


async def test_valid_urls_refuses_private_hosts_by_default(hook: tuple[Hook, str]) -> None:
    _, base = hook
    assert (await run(("validUrls", {}), f"see {base}/ok", phase="output")).verdict == "deny"


async def test_valid_urls_only_dns_resolves_without_fetching() -> None:
    params = {"onlyDNS": True, "allowPrivateHosts": True}
    assert (await run(("validUrls", params), "http://localhost:1/x", phase="output")).verdict == "pass"
    unknown = "http://no-such-host.invalid/x"
    assert (await run(("validUrls", params), unknown, phase="output")).verdict == "deny"
    assert (await run(("validUrls", params), "no links at all", phase="output")).verdict == "pass"


async def test_io_checks_are_reported_not_run_inside_a_stream() -> None:
    engine = GuardrailEngine((guardrail("g", ("validUrls", {}), applies_to=("output",), action="flag"),))
    f = engine.stream_filter(("g",), chat("x"), CTX)
    assert f is not None
    _, outcome = f.finish()
    check = outcome.hook_results[0]["checks"][0]
    assert check["error"] is not None and "buffer_stream" in check["error"]["message"]
