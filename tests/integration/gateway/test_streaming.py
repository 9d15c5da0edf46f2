"""Streaming through the real server: fallback before the first byte, a terminal error event after it."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.gateway.runtime.builders import gateway, leaf, provider, route, strategy
from tests.integration.gateway.conftest import ServeFn

MESSAGES = [{"role": "user", "content": "hi"}]


def _compiled(up: dict[str, FakeOpenAI]):
    tree = strategy("config", "fallback", [leaf("config.targets[0]", "a"), leaf("config.targets[1]", "b")])
    return gateway([provider(n, f.url) for n, f in up.items()], [route("chat", tree)])


def test_sync_stream_delivers_every_chunk(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    server = serve(_compiled(upstreams))
    stream = server.client("chat").chat.completions.create(model="m", messages=MESSAGES, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "hello from a"


async def test_async_stream_delivers_every_chunk(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    server = serve(_compiled(upstreams))
    async with openai.AsyncOpenAI(
        base_url=server.url, api_key="unused", max_retries=0, default_headers={"x-portkey-config": "chat"}
    ) as client:
        stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        parts = [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
    assert "".join(parts) == "hello from a"


def test_usage_chunk_is_shown_only_when_the_client_asked(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    server = serve(_compiled(upstreams))
    client = server.client("chat")
    plain = list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    assert all(chunk.usage is None for chunk in plain)
    asked = list(
        client.chat.completions.create(
            model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    assert asked[-1].usage is not None and asked[-1].usage.total_tokens == 9
    assert upstreams["a"].requests[0].body["stream_options"] == {"include_usage": True}


def test_stream_falls_back_before_the_first_byte(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    upstreams["a"].script(Reply(status=503))
    server = serve(_compiled(upstreams))
    with server.client("chat").chat.completions.with_streaming_response.create(
        model="m", messages=MESSAGES, stream=True
    ) as response:
        assert response.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
        text = "".join(chunk.choices[0].delta.content or "" for chunk in response.parse() if chunk.choices)
    assert text == "hello from b"


def test_stream_broken_before_the_first_chunk_is_failed_over(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    upstreams["a"].script(Reply(break_after=0))
    server = serve(_compiled(upstreams))
    stream = server.client("chat").chat.completions.create(model="m", messages=MESSAGES, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "hello from b"


def test_stream_broken_midway_ends_with_a_terminal_error_event(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    upstreams["a"].script(Reply(break_after=2))
    server = serve(_compiled(upstreams))
    stream = server.client("chat").chat.completions.create(model="m", messages=MESSAGES, stream=True)
    seen: list[str] = []
    with pytest.raises(openai.APIError) as info:
        for chunk in stream:
            seen.append(chunk.choices[0].delta.content or "")
    assert "stream broke" in info.value.message
    assert "".join(seen) == "hello"  # what was sent stays sent: no silent fallback mid-stream
    assert upstreams["b"].requests == []


def test_broken_stream_wire_format_has_error_and_no_done(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    upstreams["a"].script(Reply(break_after=2))
    server = serve(_compiled(upstreams))
    body = {"model": "m", "messages": MESSAGES, "stream": True}
    with httpx.Client() as http:
        response = http.post(
            server.url + "/chat/completions", json=body, headers={"x-portkey-config": "chat"}
        )
    events = [line for line in response.text.split("\n\n") if line]
    assert events[-1].startswith('data: {"error":')
    assert '"type":"stream_error"' in events[-1]
    assert "data: [DONE]" not in response.text
    assert response.headers["content-type"].startswith("text/event-stream")


def test_complete_stream_ends_with_done(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    server = serve(_compiled(upstreams))
    body = {"model": "m", "messages": MESSAGES, "stream": True}
    with httpx.Client() as http:
        response = http.post(
            server.url + "/chat/completions", json=body, headers={"x-portkey-config": "chat"}
        )
    assert response.text.endswith("data: [DONE]\n\n")


def test_client_disconnect_mid_stream_releases_the_upstream_and_is_recorded(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    import time

    from gateway.ports import UsageRecord
    from gateway.runtime import Components

    rows: list[UsageRecord] = []

    class Sink:
        def record(self, row: UsageRecord) -> None:
            rows.append(row)

    upstreams["a"].script(Reply(text=" ".join(["word"] * 40), chunk_delay_s=0.05))
    server = serve(_compiled(upstreams), components=Components(usage=Sink()))
    body = {"model": "m", "messages": MESSAGES, "stream": True}
    with (
        httpx.Client() as http,
        http.stream(
            "POST", server.url + "/chat/completions", json=body, headers={"x-portkey-config": "chat"}
        ) as response,
    ):
        next(response.iter_bytes())
    deadline = time.monotonic() + 5
    while not rows and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [row.status for row in rows] == [499]
