"""Gemini `streamGenerateContent?alt=sse` chunks → OpenAI `chat.completion.chunk`s.

Each SSE event is a whole `GenerateContentResponse` holding the next piece of each candidate. Text
parts become `content` deltas, `functionCall` parts arrive complete and become one tool-call delta
each, `finishReason` becomes the `finish_reason` chunk. Gemini sends no end marker: a stream that
ends before any finishReason is broken.
"""

from __future__ import annotations

from typing import Any

import msgspec

from gateway.errors import StreamBroken, UpstreamError
from gateway.providers.gemini.response import ERROR_TYPES, finish_reason, tool_call, usage_from_metadata
from gateway.providers.gemini.wire import Candidate, ErrorDetail, GenerateContentResponse, UsageMetadata
from gateway.providers.translated_stream import chunk
from gateway.usage import Usage

__all__ = ["GeminiStreamTranslator"]

_DECODE = msgspec.json.Decoder(GenerateContentResponse)


class GeminiStreamTranslator:
    """Stateful translation of one Gemini SSE stream."""

    def __init__(self, *, model: str, created: int, include_usage: bool, strict: bool, provider: str) -> None:
        self._model = model
        self._created = created
        self._include_usage = include_usage
        self._strict = strict
        self._provider = provider
        self._id = "chatcmpl-gemini"
        self._started: set[int] = set()
        self._calls: dict[int, int] = {}
        """Candidate index → tool calls sent so far."""
        self._finished = False
        self._meta: UsageMetadata | None = None

    @property
    def usage(self) -> Usage | None:
        """Usage from the latest usageMetadata."""
        return usage_from_metadata(self._meta) if self._meta is not None else None

    def feed(self, payload: bytes) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        """Translate one SSE event."""
        resp = _DECODE.decode(payload)
        if resp.error is not None:
            raise self._error(resp.error)
        if resp.response_id:
            self._id = f"chatcmpl-{resp.response_id}"
        if resp.model_version:
            self._model = resp.model_version
        if resp.usage_metadata is not None:
            self._meta = resp.usage_metadata
        out = [c for cand in resp.candidates for c in self._candidate(cand)]
        if not resp.candidates and resp.prompt_feedback and resp.prompt_feedback.block_reason:
            self._finished = True
            out += self._delta(0, {}, "content_filter")
        return out

    def finish(self) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        """Check a finishReason arrived; add the usage chunk if the client asked for it."""
        if not self._finished:
            raise StreamBroken(f"{self._provider} stream ended before a finishReason")
        usage = self.usage
        if not self._include_usage or usage is None:
            return []
        out = chunk(id=self._id, created=self._created, model=self._model, delta={})
        out["choices"] = []
        out["usage"] = usage.openai_json()
        return [out]

    def _candidate(self, cand: Candidate) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        out: list[dict[str, Any]] = []
        for part in cand.content.parts if cand.content else ():
            if part.function_call is not None:
                position = self._calls.get(cand.index, 0)
                self._calls[cand.index] = position + 1
                call = {"index": position, **tool_call(part.function_call, position)}
                out += self._delta(cand.index, {"tool_calls": [call]})
            elif part.text and part.thought:
                if not self._strict:
                    out += self._delta(cand.index, {"reasoning_content": part.text})
            elif part.text:
                out += self._delta(cand.index, {"content": part.text})
        finish = finish_reason(cand.finish_reason, cand.index in self._calls)
        if finish is not None:
            self._finished = True
            out += self._delta(cand.index, {}, finish)
        return out

    def _error(self, error: ErrorDetail) -> UpstreamError:
        status = error.code if 400 <= error.code < 600 else 500
        kind = ERROR_TYPES.get(error.status, "api_error")
        message = f"gemini error: {error.message}"
        return UpstreamError(
            message, status=status, provider=self._provider, type=kind, code=error.status or None
        )

    def _delta(self, index: int, delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        if index not in self._started:
            self._started.add(index)
            delta = {"role": "assistant", **(delta or {"content": ""})}
        made = chunk(id=self._id, created=self._created, model=self._model, delta=delta, finish_reason=finish)
        made["choices"][0]["index"] = index
        return [made]
