"""The front-door translation driven by the official `anthropic` SDK, before gw's HTTP route exists.

A minimal `/v1/messages` endpoint (below) is wired exactly as the gateway's route will be: Anthropic
request → `chat_request_from_messages` → an adapter → `message_from_completion` or
`AnthropicEventStream`. The SDK checks that what we send parses as Anthropic's wire format; the upstreams
are the fake OpenAI API (translated to another provider) and the fake Anthropic API (a round trip).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest
from aiohttp import web

from compiler.specs import ProviderSpec, Source
from gateway.errors import GatewayError
from gateway.providers.anthropic.adapter import AnthropicAdapter
from gateway.providers.anthropic.inbound import (
    chat_request_from_messages,
    error_body,
    message_from_completion,
)
from gateway.providers.anthropic.inbound_stream import AnthropicEventStream, encode_event
from gateway.providers.base import ProviderAdapter, ProviderCall
from gateway.providers.openai import OpenAIAdapter
from gateway.providers.transport import HttpTransport
from tests.fakes.anthropic_upstream import FakeAnthropic, ToolCall
from tests.fakes.anthropic_upstream import Reply as AnthropicReply
from tests.fakes.loopback import LoopbackServer
from tests.fakes.openai_upstream import FakeOpenAI


class FrontDoor(LoopbackServer):
    """`POST /v1/messages` translated onto one provider adapter."""

    def __init__(self, target: str, key: str, kind: str) -> None:
        super().__init__("front-door")
        self.target, self.key, self.kind = target, key, kind
        self.adapter: ProviderAdapter | None = None
        self.transport = HttpTransport()

    async def _shutdown(self) -> None:
        await self.transport.aclose()
        await super()._shutdown()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/messages", self._messages)

    def _adapter(self) -> ProviderAdapter:
        if self.adapter is None:
            spec = ProviderSpec(id="up", type="openai", source=Source(file="test"))
            transport = self.transport
            self.adapter = (
                OpenAIAdapter(spec, transport) if self.kind == "openai" else AnthropicAdapter(spec, transport)
            )
        return self.adapter

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        try:
            openai_body = chat_request_from_messages(body)
            call = ProviderCall(provider_id="up", body=openai_body, base_url=self.target, api_key=self.key)
            if not openai_body.get("stream"):
                result = await self._adapter().chat(call)
                return web.json_response(message_from_completion(result.body, result.usage))
            stream = await self._adapter().chat_stream(call)
        except GatewayError as exc:
            return web.json_response(error_body(exc), status=exc.status)
        return await self._stream(request, stream, body["model"])

    async def _stream(self, request: web.Request, stream: Any, model: str) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await resp.prepare(request)
        events = AnthropicEventStream(model=model)
        usage = None
        async for raw in stream:
            item = json.loads(raw)
            if item.get("usage"):
                usage = stream.usage
            for event in events.feed(item):
                await resp.write(encode_event(event))
        for event in events.finish(stream.usage or usage):
            await resp.write(encode_event(event))
        await resp.write_eof()
        return resp


@pytest.fixture(scope="module")
def openai_upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI("openai-up") as fake:
        yield fake


@pytest.fixture(scope="module")
def anthropic_upstream() -> Iterator[FakeAnthropic]:
    with FakeAnthropic("claude-up") as fake:
        yield fake


@pytest.fixture(scope="module")
def to_openai(openai_upstream: FakeOpenAI) -> Iterator[anthropic.Anthropic]:
    with (
        FrontDoor(openai_upstream.url, "sk-openai", "openai") as door,
        anthropic.Anthropic(base_url=door.base_url, api_key="gw-key", max_retries=0) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def to_anthropic(anthropic_upstream: FakeAnthropic) -> Iterator[anthropic.Anthropic]:
    with (
        FrontDoor(anthropic_upstream.url, "sk-ant", "anthropic") as door,
        anthropic.Anthropic(base_url=door.base_url, api_key="gw-key", max_retries=0) as client,
    ):
        yield client


def test_sdk_message_served_by_an_openai_upstream(
    to_openai: anthropic.Anthropic, openai_upstream: FakeOpenAI
) -> None:
    message = to_openai.messages.create(
        model="gpt-4o", max_tokens=64, system="Be brief.", messages=[{"role": "user", "content": "Hi"}]
    )
    assert message.content[0].type == "text" and message.content[0].text == "hello from openai-up"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 5 and message.usage.output_tokens == 4
    sent = openai_upstream.requests[-1].body
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}


def test_sdk_stream_served_by_an_openai_upstream(to_openai: anthropic.Anthropic) -> None:
    with to_openai.messages.stream(
        model="gpt-4o", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "hello from openai-up"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 4


def test_sdk_tool_use_stream_round_trips_through_anthropic(
    to_anthropic: anthropic.Anthropic, anthropic_upstream: FakeAnthropic
) -> None:
    anthropic_upstream.script(
        AnthropicReply(text="Checking.", tool_calls=[ToolCall("toolu_7", "get_weather", {"city": "Paris"})])
    )
    tools = [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}]
    with to_anthropic.messages.stream(
        model="claude-fake-1",
        max_tokens=64,
        tools=tools,
        messages=[{"role": "user", "content": "Weather?"}],
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    tool = final.content[1]
    assert tool.type == "tool_use" and tool.id == "toolu_7" and tool.input == {"city": "Paris"}
    assert final.content[0].type == "text" and final.content[0].text == "Checking."


def test_sdk_sees_upstream_errors_as_anthropic_errors(
    to_anthropic: anthropic.Anthropic, anthropic_upstream: FakeAnthropic
) -> None:
    anthropic_upstream.script(AnthropicReply(status=429))
    with pytest.raises(anthropic.RateLimitError):
        to_anthropic.messages.create(
            model="claude", max_tokens=8, messages=[{"role": "user", "content": "Hi"}]
        )
