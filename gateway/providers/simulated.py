"""A provider adapter that answers from a script of outcomes, without any network.

`gw test` and `gw explain --request` link every provider of a compiled gateway to a
`SimulatedAdapter`, so the real executor (routing, retries, breakers, guardrails, cache, budgets)
runs in-process, in milliseconds. Outcomes are keyed by target path or provider id and used in
order; the last one repeats; an upstream with no outcome answers 200. Latency is compared with the
attempt's timeout (a slower answer is a 408), never slept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import msgspec

from compiler.cases import OutcomeSpec
from gateway.errors import UpstreamError, UpstreamTimeout
from gateway.providers.base import ChatResult, EmbeddingResult, ProviderCall
from gateway.usage import Usage

__all__ = ["Script", "ScriptedCall", "SimulatedAdapter", "SimulatedStream"]

_ENCODER = msgspec.json.Encoder()


class ScriptedCall(msgspec.Struct, frozen=True, kw_only=True):
    """One call the simulated upstreams received, and the outcome they answered with."""

    path: str
    provider: str
    model: str
    status: int
    """The status answered (408 when the simulated latency exceeded the attempt's timeout)."""
    timeout_ms: int
    max_tokens: int | None = None
    """The output bound the call carried (`max_completion_tokens` or `max_tokens`)."""


class Script:
    """Outcomes per key (a target path or a provider id), consumed in order; the last one repeats.

    A path key also matches every target below it (`config.targets[1]` matches
    `config.targets[1].targets[0]`); the longest matching path wins, then the provider id."""

    def __init__(self, outcomes: Mapping[str, Sequence[OutcomeSpec]]) -> None:
        self._outcomes = {key: tuple(found) for key, found in outcomes.items() if found}
        self._used: dict[str, int] = {}
        self.calls: list[ScriptedCall] = []

    def _key(self, path: str, provider: str) -> str | None:
        paths = [k for k in self._outcomes if path == k or path.startswith(k + ".")]
        if paths:
            return max(paths, key=len)
        return provider if provider in self._outcomes else None

    def next(self, path: str, provider: str) -> OutcomeSpec:
        """The outcome of the next call to `provider` at target `path`."""
        key = self._key(path, provider)
        if key is None:
            return OutcomeSpec()
        used = self._used.get(key, 0)
        self._used[key] = used + 1
        found = self._outcomes[key]
        return found[min(used, len(found) - 1)]


def _max_tokens(body: dict[str, Any]) -> int | None:  # Any: OpenAI request JSON
    value = body.get("max_completion_tokens", body.get("max_tokens"))
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _completion(body: dict[str, Any], text: str, usage: Usage) -> dict[str, Any]:  # Any: OpenAI JSON
    return {
        "id": "chatcmpl-simulated",
        "object": "chat.completion",
        "created": 0,
        "model": str(body.get("model") or ""),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": usage.openai_json(),
    }


def _chunk(model: str, delta: dict[str, str], finish: str | None) -> dict[str, Any]:  # Any: OpenAI JSON
    return {
        "id": "chatcmpl-simulated",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


class SimulatedStream:
    """A committed stream of `chat.completion.chunk` payloads for a simulated success."""

    def __init__(self, model: str, text: str, usage: Usage) -> None:
        self.headers: dict[str, str] = {}
        self._usage = usage
        words = text.split(" ")
        pieces = [w + " " for w in words[:-1]] + [words[-1]]
        self._payloads = [_ENCODER.encode(_chunk(model, {"content": p}, None)) for p in pieces]
        self._payloads.append(_ENCODER.encode(_chunk(model, {}, "stop")))

    async def _iterate(self) -> AsyncIterator[bytes]:
        for payload in self._payloads:
            yield payload

    def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield each chunk's JSON."""
        return self._iterate()

    @property
    def usage(self) -> Usage | None:
        """The scripted usage."""
        return self._usage

    async def aclose(self) -> None:
        """Nothing to release."""


class SimulatedAdapter:
    """Answers calls to one provider from a shared `Script`; `locate` names the current target path."""

    def __init__(self, provider_id: str, script: Script, locate: Callable[[], str]) -> None:
        self.provider_id = provider_id
        self.script = script
        self.locate = locate

    def _answer(self, call: ProviderCall) -> tuple[OutcomeSpec, str, Usage]:
        outcome = self.script.next(self.locate(), self.provider_id)
        timed_out = outcome.latency_ms > call.timeout_s * 1000
        status = 408 if timed_out else outcome.status
        self.script.calls.append(
            ScriptedCall(
                path=self.locate(),
                provider=self.provider_id,
                model=str(call.body.get("model") or ""),
                status=status,
                timeout_ms=round(call.timeout_s * 1000),
                max_tokens=_max_tokens(call.body),
            )
        )
        if timed_out:
            ms = round(call.timeout_s * 1000)
            raise UpstreamTimeout(
                f"Request exceeded the timeout sent in the request: {ms}ms", provider=self.provider_id
            )
        if status >= 400:
            wait = None if outcome.retry_after_ms is None else outcome.retry_after_ms / 1000.0
            raise UpstreamError(
                f"simulated upstream error {status}",
                status=status,
                provider=self.provider_id,
                retry_after_s=wait,
            )
        text = outcome.content if outcome.content is not None else f"simulated reply from {self.provider_id}"
        usage = Usage(
            prompt_tokens=10 if outcome.prompt_tokens is None else outcome.prompt_tokens,
            completion_tokens=len(text.split())
            if outcome.completion_tokens is None
            else outcome.completion_tokens,
        )
        return outcome, text, usage

    async def chat(self, call: ProviderCall) -> ChatResult:
        """Answer with the next scripted outcome."""
        _, text, usage = self._answer(call)
        return ChatResult(body=_completion(call.body, text, usage), usage=usage)

    async def chat_stream(self, call: ProviderCall) -> SimulatedStream:
        """Answer with the next scripted outcome, streamed word by word."""
        _, text, usage = self._answer(call)
        return SimulatedStream(str(call.body.get("model") or ""), text, usage)

    async def embed(self, call: ProviderCall) -> EmbeddingResult:
        """Answer with one tiny vector per input."""
        _, _, usage = self._answer(call)
        raw = call.body.get("input")
        inputs = raw if isinstance(raw, list) else [raw]
        data = [{"object": "embedding", "index": i, "embedding": [0.0, 1.0]} for i in range(len(inputs))]
        body = {"object": "list", "data": data, "model": str(call.body.get("model") or ""), "usage": {}}
        return EmbeddingResult(body=body, usage=Usage(prompt_tokens=usage.prompt_tokens))

    async def aclose(self) -> None:
        """Nothing to close."""
