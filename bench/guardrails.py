"""Added latency of the default input + output guardrail set on a ~2k-token chat request.

Run: `python bench/guardrails.py [--iterations N]`. In-process only (no webhook or validUrls).
The default set is what a team would turn on first: on input, `pii` (redact) and a 200-phrase
Vietnamese/English `keywords` list (deny); on output, `pii` (redact) and the same list, on a
complete response and on the same response streamed in 4-character deltas.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from compiler.specs import CheckSpec, GuardrailSpec, Source
from gateway.guardrails import GuardrailEngine
from gateway.ports import CheckContext

SOURCE = Source(file="bench.yaml", line=1, col=1)
PARAGRAPH = (
    "Khách hàng Nguyễn Văn An hỏi về hợp đồng bảo hiểm số HD-2024-118 và thời hạn thanh toán. "
    "The customer asked about renewal terms, the premium schedule, and whether the policy covers travel "
    "abroad. Chúng tôi đã gửi tài liệu hướng dẫn qua cổng thông tin và đề nghị liên hệ lại trong tuần. "
    "Please summarise the conversation, list open questions, and draft a polite reply in Vietnamese. "
)
PII_LINE = "Contact: an.nguyen@example.com.vn, 0901 234 567, card 4111 1111 1111 1111. "


def _words(n: int) -> list[str]:
    base = [
        "ma túy",
        "đánh bạc",
        "vũ khí",
        "lừa đảo",
        "rửa tiền",
        "bom",
        "khủng bố",
        "hack",
        "malware",
        "phishing",
    ]
    return base + [f"cấm từ {i}" for i in range(n - len(base))]


def _spec(gid: str, checks: list[tuple[str, dict[str, Any]]], **fields: Any) -> GuardrailSpec:
    specs = tuple(CheckSpec(type=t, params=json.dumps(p), source=SOURCE) for t, p in checks)
    return GuardrailSpec(id=gid, checks=specs, source=SOURCE, **fields)


def default_set() -> tuple[GuardrailSpec, ...]:
    """pii (redact) and a 200-phrase keyword list (deny), on input and output."""
    keywords = {"lists": [{"name": "policy", "severity": "high", "words": _words(200)}]}
    return (
        _spec("pii", [("pii", {})], action="redact"),
        _spec("content", [("keywords", keywords)], action="deny"),
    )


def request_body(tokens: int, pii: bool) -> dict[str, Any]:
    """A chat request of about `tokens` tokens (4 characters per token)."""
    text = PARAGRAPH * (tokens * 4 // len(PARAGRAPH) + 1)
    if pii:
        text = text[: len(text) // 2] + PII_LINE + text[len(text) // 2 :]
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}],
    }


def response_body(tokens: int) -> dict[str, Any]:
    """A chat.completion of about `tokens` tokens."""
    text = PARAGRAPH * (tokens * 4 // len(PARAGRAPH) + 1)
    message = {"role": "assistant", "content": text}
    return {
        "id": "c",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }


def stream_chunks(body: dict[str, Any], size: int = 4) -> list[dict[str, Any]]:
    """The response as chunks of `size` characters (about one token each)."""
    text = body["choices"][0]["message"]["content"]
    deltas = [text[i : i + size] for i in range(0, len(text), size)]
    chunks = [
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": d}, "finish_reason": None}],
        }
        for d in deltas
    ]
    chunks.append(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
    )
    return chunks


async def measure(fn: Callable[[], Awaitable[object]], iterations: int) -> list[float]:
    """Milliseconds per call, after a warm-up."""
    for _ in range(20):
        await fn()
    out = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def report(name: str, samples: list[float]) -> None:
    """Print p50 / p99 / max."""
    samples.sort()
    p50 = statistics.median(samples)
    p99 = samples[int(len(samples) * 0.99) - 1]
    print(f"{name:<52} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms   max {samples[-1]:7.3f} ms")


async def main(iterations: int) -> None:
    """Run every scenario."""
    engine = GuardrailEngine(default_set())
    ids = ("pii", "content")
    ctx = CheckContext()
    clean, dirty = request_body(2000, pii=False), request_body(2000, pii=True)
    response = response_body(500)
    chunks = stream_chunks(response)
    print(f"request ~2000 tokens ({len(clean['messages'][1]['content'])} chars), response ~500 tokens")

    async def input_output(body: dict[str, Any]) -> None:
        await engine.check_input(ids, body, ctx)
        await engine.check_output(ids, response, body, ctx)

    async def streamed() -> None:
        f = engine.stream_filter(ids, clean, ctx)
        assert f is not None
        for c in chunks:
            f.feed(c)
        f.finish()

    report("input + output, clean 2k-token request", await measure(lambda: input_output(clean), iterations))
    report(
        "input + output, 2k-token request with PII (redacted)",
        await measure(lambda: input_output(dirty), iterations),
    )
    long_response = response_body(2000)

    async def both_long() -> None:
        await engine.check_input(ids, clean, ctx)
        await engine.check_output(ids, long_response, clean, ctx)

    report("input + output, 2k-token request and 2k-token response", await measure(both_long, iterations))
    report(
        "input only, clean 2k-token request",
        await measure(lambda: engine.check_input(ids, clean, ctx), iterations),
    )
    report(
        f"stream filter, 500-token response in {len(chunks)} chunks",
        await measure(streamed, max(iterations // 10, 20)),
    )
    await engine.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    asyncio.run(main(parser.parse_args().iterations))
