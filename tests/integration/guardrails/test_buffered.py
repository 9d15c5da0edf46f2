"""`buffer_stream` routes: the stream is checked as a whole, webhook and validUrls checks included."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.loopback import Reply as HookReply
from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.gateway.server import GatewayServer
from tests.integration.guardrails.conftest import FakeWebhook, sse_payloads

pytestmark = pytest.mark.integration

BODY = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}


def stream_bytes(server: GatewayServer) -> bytes:
    with httpx.stream(
        "POST",
        server.url + "/chat/completions",
        json=BODY,
        headers={"x-portkey-config": "buffered"},
        timeout=30,
    ) as reply:
        assert reply.status_code == 200
        return b"".join(reply.iter_bytes())


def test_webhook_deny_on_a_buffered_stream_sends_no_text(
    server: GatewayServer, upstream: FakeOpenAI, webhook: FakeWebhook
) -> None:
    upstream.script(Reply(text="a perfectly harmless answer"))
    webhook.script(HookReply(body={"verdict": False}))
    raw = stream_bytes(server)
    assert b"harmless" not in raw
    events = sse_payloads(raw)
    assert len(events) == 1 and events[0]["error"]["type"] == "hooks_failed"
    after = events[0]["hook_results"]["after_request_hooks"]
    assert [h["id"] for h in after] == ["mask_pii", "reviewer"] and after[1]["deny"] is True
    sent = webhook.requests[-1].body
    assert sent["eventType"] == "afterRequestHook"
    assert sent["response"]["text"] == "a perfectly harmless answer"


def test_buffered_stream_is_redacted_before_the_webhook_and_the_client_see_it(
    server: GatewayServer, upstream: FakeOpenAI, webhook: FakeWebhook
) -> None:
    upstream.script(Reply(text="pay with 4111 1111 1111 1111 today"))
    raw = stream_bytes(server)
    assert b"4111" not in raw
    events = sse_payloads(raw)
    assert events[-1] == "[DONE]"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in events[:-1] if c.get("choices"))
    assert text == "pay with [CREDIT_CARD_REDACTED] today"
    assert "4111" not in webhook.requests[-1].body["response"]["text"]
    verdict = events[-2]
    assert verdict["status"] == 200
    assert [h["id"] for h in verdict["hook_results"]["after_request_hooks"]] == ["mask_pii", "reviewer"]
