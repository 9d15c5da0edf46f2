"""TranslatedStream: read-ahead failures fail the attempt; failures after output break the stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.errors import StreamBroken, UpstreamError, UpstreamUnavailable
from gateway.providers.translated_stream import chunk, open_translated
from gateway.usage import Usage


class Echo:
    """Translates `text` payloads to content chunks; `!` is a provider error event, `.` the end marker."""

    def __init__(self) -> None:
        self.done = False

    @property
    def usage(self) -> Usage | None:
        return Usage(completion_tokens=1) if self.done else None

    def feed(self, payload: bytes) -> list[dict[str, Any]]:
        if payload == b"!":
            raise UpstreamError("provider error", status=529, provider="p")
        if payload == b".":
            self.done = True
            return [chunk(id="c", created=0, model="m", delta={}, finish_reason="stop")]
        return [chunk(id="c", created=0, model="m", delta={"content": payload.decode()})]

    def finish(self) -> list[dict[str, Any]]:
        if not self.done:
            raise StreamBroken("ended early")
        return []


class Closer:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1


async def batches(*groups: list[bytes], broken: bool = False) -> AsyncIterator[list[bytes]]:
    for group in groups:
        yield group
    if broken:
        raise StreamBroken("connection reset")


async def test_batches_keep_arrival_grouping_and_usage_is_known_at_the_end() -> None:
    close = Closer()
    stream = await open_translated(
        batches([b"a", b"b"], [b"c", b"."]), Echo(), headers={}, close=close, provider="p"
    )
    got = [[json.loads(x)["choices"][0]["delta"] for x in batch] async for batch in stream.batches()]
    assert got == [[{"content": "a"}, {"content": "b"}], [{"content": "c"}, {}]]
    assert stream.usage == Usage(completion_tokens=1)
    assert close.calls == 1


async def test_provider_error_before_output_keeps_its_status() -> None:
    close = Closer()
    with pytest.raises(UpstreamError) as info:
        await open_translated(batches([b"!"]), Echo(), headers={}, close=close, provider="p")
    assert info.value.status == 529 and close.calls == 1


async def test_drop_before_output_is_unavailable_not_broken() -> None:
    with pytest.raises(UpstreamUnavailable):
        await open_translated(batches(broken=True), Echo(), headers={}, close=Closer(), provider="p")


async def test_provider_error_after_output_breaks_the_stream() -> None:
    stream = await open_translated(batches([b"a"], [b"!"]), Echo(), headers={}, close=Closer(), provider="p")
    with pytest.raises(StreamBroken, match="provider error"):
        [x async for x in stream]


async def test_end_without_marker_breaks_the_stream() -> None:
    stream = await open_translated(batches([b"a"]), Echo(), headers={}, close=Closer(), provider="p")
    with pytest.raises(StreamBroken):
        [x async for x in stream]


async def test_malformed_event_before_output_fails_the_attempt() -> None:
    from gateway.providers.anthropic.stream import AnthropicStreamTranslator

    translator = AnthropicStreamTranslator(created=0, include_usage=False, strict=True, provider="p")
    with pytest.raises(UpstreamUnavailable, match="malformed"):
        await open_translated(
            batches([b'{"type": "message_start", "message": 7}']),
            translator,
            headers={},
            close=Closer(),
            provider="p",
        )


async def test_malformed_event_after_output_breaks_the_stream() -> None:
    stream = await open_translated(
        batches([b"a"], [b"\xff"]), Broken(), headers={}, close=Closer(), provider="p"
    )
    with pytest.raises(StreamBroken, match="malformed"):
        [x async for x in stream]


class Broken(Echo):
    """Fails to decode non-UTF-8 payloads, like a translator meeting garbage."""

    def feed(self, payload: bytes) -> list[dict[str, Any]]:
        payload.decode("utf-8")
        return super().feed(payload)
