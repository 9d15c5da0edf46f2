"""CPU cost of the provider translations (no I/O): per request, per response and per stream event.

    python bench/provider_translation.py [--n 2000]

Uses the recorded fixtures under tests/gateway/providers/. Prints microseconds per operation (best
of 5 rounds). Run on a quiet machine; other processes on shared cores inflate the figures.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from gateway.providers.anthropic import response as anthropic_response
from gateway.providers.anthropic import translate as anthropic_translate
from gateway.providers.anthropic.inbound import chat_request_from_messages
from gateway.providers.anthropic.stream import AnthropicStreamTranslator
from gateway.providers.anthropic.wire import MessagesResponse
from gateway.providers.gemini import response as gemini_response
from gateway.providers.gemini import translate as gemini_translate
from gateway.providers.gemini.wire import GenerateContentResponse
from gateway.providers.ollama import translate as ollama_translate

FIX = Path(__file__).resolve().parent.parent / "tests" / "gateway" / "providers"


def _load(path: str) -> Any:
    return json.loads((FIX / path).read_text())


def _best(fn: Callable[[], object], n: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n)
    return best * 1e6


def _sse_payloads(path: str) -> list[bytes]:
    text = (FIX / path).read_text()
    return [line[6:].encode() for line in text.splitlines() if line.startswith("data: ")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n
    a_req = _load("anthropic/fixtures/openai_request_multiturn_tools.json")
    a_resp = (FIX / "anthropic/fixtures/message_tool_use_cached.json").read_bytes()
    g_req = _load("gemini/fixtures/openai_request_multiturn_tools.json")
    g_resp = (FIX / "gemini/fixtures/response_function_call_thinking.json").read_bytes()
    o_req = _load("ollama/fixtures/openai_request_tools_image.json")
    inbound = _load("anthropic/fixtures/inbound_messages_request.json")
    events = _sse_payloads("anthropic/fixtures/stream_text_and_tool_use.sse")
    a_dec = msgspec.json.Decoder(MessagesResponse)
    g_dec = msgspec.json.Decoder(GenerateContentResponse)

    def anthropic_stream() -> None:
        t = AnthropicStreamTranslator(created=0, include_usage=True, strict=True, provider="b")
        for e in events:
            t.feed(e)

    rows = [
        (
            "anthropic request (8 messages, tools, 2 images)",
            lambda: anthropic_translate.build_request(a_req, strict=True),
        ),
        (
            "anthropic response decode+translate",
            lambda: anthropic_response.chat_completion(a_dec.decode(a_resp), created=0, strict=True),
        ),
        (f"anthropic stream ({len(events)} events)", anthropic_stream),
        (
            "gemini request (5 messages, tools, 2 images)",
            lambda: gemini_translate.build_request(g_req, strict=True),
        ),
        (
            "gemini response decode+translate",
            lambda: gemini_response.chat_completion(g_dec.decode(g_resp), model="m", created=0, strict=True),
        ),
        (
            "ollama request (4 messages, tools, image)",
            lambda: ollama_translate.build_request(o_req, strict=True, stream=False),
        ),
        ("front door: anthropic request -> openai", lambda: chat_request_from_messages(inbound)),
    ]
    for label, fn in rows:
        print(f"{label:<52} {_best(fn, n):8.1f} us")
    print(f"{'anthropic stream, per event':<52} {_best(anthropic_stream, n) / len(events):8.1f} us")


if __name__ == "__main__":
    main()
