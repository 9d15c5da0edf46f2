"""The simulated provider: outcomes in order, path keys over provider keys, latency against the timeout."""

from __future__ import annotations

import pytest

from compiler.cases import OutcomeSpec
from gateway.errors import UpstreamError, UpstreamTimeout
from gateway.providers.base import ProviderCall
from gateway.providers.simulated import Script, SimulatedAdapter


def _adapter(script: Script, path: str, provider: str = "openai") -> SimulatedAdapter:
    return SimulatedAdapter(provider, script, lambda: path)


def _call(timeout_s: float = 30.0, **body: object) -> ProviderCall:
    return ProviderCall(
        provider_id="openai", body={"model": "m", **body}, base_url="simulated://", timeout_s=timeout_s
    )


async def test_outcomes_are_used_in_order_and_the_last_repeats() -> None:
    script = Script({"openai": (OutcomeSpec(status=429), OutcomeSpec(content="ok"))})
    adapter = _adapter(script, "config")
    with pytest.raises(UpstreamError) as failed:
        await adapter.chat(_call())
    assert failed.value.status == 429
    for _ in range(2):
        result = await adapter.chat(_call())
        assert result.body["choices"][0]["message"]["content"] == "ok"
    assert [c.status for c in script.calls] == [429, 200, 200]


async def test_the_longest_matching_path_wins_over_the_provider() -> None:
    script = Script(
        {
            "openai": (OutcomeSpec(status=500),),
            "config.targets[1]": (OutcomeSpec(status=502),),
            "config.targets[1].targets[0]": (OutcomeSpec(status=503),),
        }
    )
    statuses = []
    for path in ("config.targets[0]", "config.targets[1].targets[1]", "config.targets[1].targets[0]"):
        with pytest.raises(UpstreamError) as failed:
            await _adapter(script, path).chat(_call())
        statuses.append(failed.value.status)
    assert statuses == [500, 502, 503]
    assert await _adapter(script, "config.targets[2]", provider="anthropic").chat(_call())


async def test_latency_above_the_attempt_timeout_is_a_408() -> None:
    script = Script({"openai": (OutcomeSpec(latency_ms=2_000),)})
    with pytest.raises(UpstreamTimeout):
        await _adapter(script, "config").chat(_call(timeout_s=1.5))
    assert (await _adapter(script, "config").chat(_call(timeout_s=2.5))).status == 200
    assert [c.timeout_ms for c in script.calls] == [1500, 2500]


async def test_retry_after_and_usage_are_scripted() -> None:
    script = Script(
        {
            "openai": (
                OutcomeSpec(status=429, retry_after_ms=1500),
                OutcomeSpec(prompt_tokens=7, completion_tokens=3),
            )
        }
    )
    adapter = _adapter(script, "config")
    with pytest.raises(UpstreamError) as failed:
        await adapter.chat(_call())
    assert failed.value.retry_after_s == 1.5
    result = await adapter.chat(_call(max_tokens=64))
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (7, 3)
    assert script.calls[-1].max_tokens == 64


async def test_streams_and_embeddings_answer_too() -> None:
    script = Script({})
    stream = await _adapter(script, "config").chat_stream(_call())
    chunks = [chunk async for chunk in stream]
    assert b"simulated" in b"".join(chunks)
    embedded = await _adapter(script, "config").embed(_call(input=["a", "b"]))
    assert len(embedded.body["data"]) == 2
