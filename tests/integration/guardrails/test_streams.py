"""Output guardrails on streams, asserted on the bytes the client received (real server, real SDKs)."""

from __future__ import annotations

import json
import re

import anthropic
import httpx
import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.gateway.server import GatewayServer
from tests.integration.guardrails.conftest import sse_payloads

pytestmark = pytest.mark.integration

CARD = "4111111111111111"
# The fake streams one word per chunk after an empty role chunk: the card is in the 5th chunk.
CARD_TEXT = f"one two three {CARD} is the card number you asked for"
BODY = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "card?"}]}


def stream_bytes(server: GatewayServer, route: str) -> tuple[int, bytes]:
    """POST a streamed chat request and return the status and every byte the client received."""
    with httpx.stream(
        "POST", server.url + "/chat/completions", json=BODY, headers={"x-portkey-config": route}, timeout=30
    ) as reply:
        return reply.status_code, b"".join(reply.iter_bytes())


def test_card_in_the_fifth_chunk_is_redacted_before_it_is_sent(
    server: GatewayServer, upstream: FakeOpenAI
) -> None:
    upstream.script(Reply(text=CARD_TEXT, chunk_delay_s=0.01))
    status, raw = stream_bytes(server, "masked")
    assert status == 200
    assert re.search(rb"4111|1111", raw) is None  # no digit of the card reached the client
    events = sse_payloads(raw)
    assert events[-1] == "[DONE]"
    chunks = [e for e in events[:-1] if e.get("choices")]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == "one two three [CREDIT_CARD_REDACTED] is the card number you asked for"
    verdict = events[-2]
    assert verdict["choices"] == [] and verdict["status"] == 200
    mask = verdict["hook_results"]["after_request_hooks"][0]
    assert mask["id"] == "mask_pii" and mask["transformed"] is True
    assert mask["redacted"] == {"credit_card": 1}


def test_card_in_the_fifth_chunk_denies_the_stream_before_it_is_sent(
    server: GatewayServer, upstream: FakeOpenAI
) -> None:
    upstream.script(Reply(text=CARD_TEXT, chunk_delay_s=0.01))
    status, raw = stream_bytes(server, "card_deny")
    assert status == 200  # headers were committed with the first chunk
    assert CARD.encode() not in raw and b"4111" not in raw
    events = sse_payloads(raw)
    assert "[DONE]" not in events
    last = events[-1]
    assert last["error"]["type"] == "hooks_failed"
    after = last["hook_results"]["after_request_hooks"]
    assert after[0]["id"] == "no_cards" and after[0]["deny"] is True


def test_openai_sdk_sees_a_denied_stream_as_an_error(server: GatewayServer, upstream: FakeOpenAI) -> None:
    upstream.script(Reply(text=CARD_TEXT))
    stream = server.client("card_deny").chat.completions.create(
        model="m", stream=True, messages=[{"role": "user", "content": "card?"}]
    )
    received: list[str] = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received += [c.delta.content or "" for c in chunk.choices]
    assert CARD not in "".join(received)


def test_end_of_stream_flag_rides_on_the_last_event(server: GatewayServer, upstream: FakeOpenAI) -> None:
    upstream.script(Reply(text="this answer is far too long"))
    status, raw = stream_bytes(server, "flagged")
    assert status == 200
    events = sse_payloads(raw)
    assert events[-1] == "[DONE]"
    verdict = events[-2]
    assert verdict["status"] == 246 and verdict["choices"] == []
    after = verdict["hook_results"]["after_request_hooks"]
    assert [h["id"] for h in after] == ["short_answers"] and after[0]["verdict"] is False


def test_openai_sdk_skips_the_verdict_event(server: GatewayServer, upstream: FakeOpenAI) -> None:
    upstream.script(Reply(text="this answer is far too long"))
    stream = server.client("flagged").chat.completions.create(
        model="m", stream=True, messages=[{"role": "user", "content": "hi"}]
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "this answer is far too long"


def test_anthropic_front_door_runs_the_routes_guardrails(server: GatewayServer, upstream: FakeOpenAI) -> None:
    with (
        anthropic.Anthropic(
            base_url=server.base,
            api_key="unused",
            max_retries=0,
            default_headers={"x-portkey-config": "denied"},
        ) as sdk,
        pytest.raises(anthropic.APIStatusError) as info,
    ):
        sdk.messages.create(model="m", max_tokens=8, messages=[{"role": "user", "content": "Apple?"}])
    assert info.value.status_code == 446
    body = info.value.response.json()
    assert body["type"] == "error" and body["error"]["type"] == "api_error"
    assert [h["id"] for h in body["hook_results"]["before_request_hooks"]] == ["no_secrets", "no_apple"]
    assert upstream.requests == []


def test_anthropic_front_door_stream_is_redacted(server: GatewayServer, upstream: FakeOpenAI) -> None:
    upstream.script(Reply(text=CARD_TEXT, chunk_delay_s=0.01))
    body = {
        "model": "m",
        "max_tokens": 64,
        "stream": True,
        "messages": [{"role": "user", "content": "card?"}],
    }
    with httpx.stream(
        "POST", server.base + "/v1/messages", json=body, headers={"x-portkey-config": "masked"}, timeout=30
    ) as reply:
        raw = b"".join(reply.iter_bytes())
    assert b"4111" not in raw
    names = re.findall(rb"^event: (\S+)$", raw, flags=re.M)
    assert names[0] == b"message_start" and b"hook_results" in names
    assert names[-2:] == [b"message_delta", b"message_stop"]
    with anthropic.Anthropic(
        base_url=server.base, api_key="unused", max_retries=0, default_headers={"x-portkey-config": "masked"}
    ) as sdk:
        upstream.script(Reply(text=CARD_TEXT))
        with sdk.messages.stream(
            model="m", max_tokens=64, messages=[{"role": "user", "content": "card?"}]
        ) as s:
            text = "".join(s.text_stream)
    assert text == "one two three [CREDIT_CARD_REDACTED] is the card number you asked for"


def test_anthropic_front_door_flag_is_a_246_message(server: GatewayServer) -> None:
    reply = httpx.post(
        server.base + "/v1/messages",
        json={"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "you idiot"}]},
        headers={"x-portkey-config": "flagged"},
    )
    assert reply.status_code == 246
    message = reply.json()
    assert message["type"] == "message" and message["content"][0]["text"] == "hello from up"
    assert json.dumps(message["hook_results"]["before_request_hooks"]).count('"polite"') == 1
