"""A fake OpenAI upstream for benchmarks: raw asyncio + httptools + uvloop, precomputed answers.

Fast enough never to be the bottleneck (tens of thousands of requests/s on one core): it parses only
what it needs (path, body, keep-alive) and answers `/v1/chat/completions` with a fixed completion, or,
when the body asks for `"stream": true`, with a fixed SSE stream of N chunks and `[DONE]`.

    python bench/fake_upstream.py --port 9100 [--chunks 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httptools
import uvloop

COMPLETION = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 0,
    "model": "bench-model",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "The quick brown fox jumps over the lazy dog."},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 10, "total_tokens": 22},
}


def _chunk(delta: dict[str, object], finish: str | None) -> bytes:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "bench-model",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


def _response(body: bytes, content_type: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: " + content_type + b"\r\ncontent-length: "
    return head + str(len(body)).encode() + b"\r\nconnection: keep-alive\r\n\r\n" + body


def build_answers(chunks: int) -> tuple[bytes, bytes, bytes]:
    """Precomputed (completion, stream, not-found) responses."""
    plain = _response(json.dumps(COMPLETION, separators=(",", ":")).encode(), b"application/json")
    parts = [_chunk({"role": "assistant", "content": ""}, None)]
    parts += [_chunk({"content": f"word{i} "}, None) for i in range(chunks)]
    parts += [_chunk({}, "stop")]
    usage = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "bench-model"}
    usage |= {"choices": [], "usage": COMPLETION["usage"]}
    parts.append(b"data: " + json.dumps(usage, separators=(",", ":")).encode() + b"\n\n")
    parts.append(b"data: [DONE]\n\n")
    stream = _response(b"".join(parts), b"text/event-stream")
    missing = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
    return plain, stream, missing


class Upstream(asyncio.Protocol):
    """One connection: parse requests, answer from the precomputed set."""

    answers: tuple[bytes, bytes, bytes] = (b"", b"", b"")

    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transport is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_message_begin(self) -> None:
        self.url, self.body = b"", []

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        plain, stream, missing = self.answers
        if not self.url.endswith(b"/chat/completions"):
            answer = missing
        else:
            body = b"".join(self.body)
            answer = stream if b'"stream":true' in body or b'"stream": true' in body else plain
        assert self.transport is not None
        self.transport.write(answer)


async def serve(host: str, port: int, chunks: int) -> None:
    """Serve until cancelled."""
    Upstream.answers = build_answers(chunks)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Upstream, host, port, backlog=4096, reuse_address=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--chunks", type=int, default=8)
    args = parser.parse_args()
    started = time.time()
    try:
        uvloop.run(serve(args.host, args.port, args.chunks))
    except KeyboardInterrupt:
        print(f"fake upstream stopped after {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
