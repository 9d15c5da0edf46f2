"""Server-sent events for a committed stream: never a stream that looks complete when it is not.

After the first chunk, an upstream failure ends the stream with a terminal `data: {"error": …}`
event and no `[DONE]`; a deny from a streaming output guardrail (in the window or at the end of the
stream) ends it the same way (446 body). When guardrails ran and did not deny, the event before
`[DONE]` carries their verdict: `{"object": "chat.completion.chunk", "choices": [], "status": 200|246,
"hook_results": {...}}` (a flag cannot change the status of a stream whose headers are sent).
The outcome (status, usage) is settled with the limiter and recorded in the ledger either way, before
the last event leaves.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from gateway.errors import GatewayError, GuardrailDenied, StreamBroken
from gateway.ports import GuardrailOutcome, StreamStep
from gateway.runtime.context import RequestContext
from gateway.runtime.outcomes import StreamStart
from gateway.runtime.stages import Components, record_usage

__all__ = ["DONE", "error_event", "sse_events", "verdict_event"]

DONE = b"data: [DONE]\n\n"
_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder()
_LOG = logging.getLogger("gw.stream")


def error_event(error: GatewayError) -> bytes:
    """The terminal SSE event carrying an OpenAI-shaped error."""
    return b"data: " + _ENCODER.encode(error.body()) + b"\n\n"


def _frame(payload: bytes) -> bytes:
    return b"data: " + payload + b"\n\n"


def _emit(step: StreamStep) -> list[bytes]:
    return [_frame(_ENCODER.encode(chunk)) for chunk in step.emit]


def _denied(ctx: RequestContext, step: StreamStep) -> GuardrailDenied | None:
    if step.deny is None:
        return None
    ctx.hook_results.setdefault("after_request_hooks", []).extend(step.deny.hook_results)
    return GuardrailDenied(
        {
            "before_request_hooks": ctx.hook_results.get("before_request_hooks", []),
            "after_request_hooks": ctx.hook_results.get("after_request_hooks", []),
        }
    )


async def _batches(start: StreamStart) -> AsyncIterator[list[bytes]]:
    yield start.first
    async for batch in start.rest:
        yield batch


async def _plain_frames(
    start: StreamStart, ctx: RequestContext, kept: list[dict[str, Any]] | None
) -> AsyncIterator[bytes]:
    # Everything that arrived together is written together: one send per upstream read.
    async for batch in _batches(start):
        if ctx.telemetry is not None:
            ctx.telemetry.stream_chunk()
        if kept is not None:
            kept.extend(_DECODER.decode(payload) for payload in batch)
        yield b"".join(b"data: " + payload + b"\n\n" for payload in batch)


def _step_frames(ctx: RequestContext, step: StreamStep, kept: list[dict[str, Any]] | None) -> list[bytes]:
    """Frames of one filter step; raises GuardrailDenied when the step denies."""
    if kept is not None:
        kept.extend(step.emit)
    denied = _denied(ctx, step)
    if denied is not None:
        raise denied
    return _emit(step)


async def _frames(
    start: StreamStart, ctx: RequestContext, kept: list[dict[str, Any]] | None
) -> AsyncIterator[bytes]:
    """Frames for the client; raises GuardrailDenied or StreamBroken to end with an error event.

    `kept` (when the route caches) receives every chunk the client was sent, for the cache.
    """
    if start.check_output is not None:
        for frame in await _checked_frames(start, ctx, kept):
            yield frame
        return
    flt = start.filter
    if flt is None:
        async for frame in _plain_frames(start, ctx, kept):
            yield frame
        return
    async for batch in _batches(start):
        for payload in batch:
            chunk: Any = _DECODER.decode(payload)  # Any: OpenAI chunk JSON
            step = flt.feed(chunk)
            emitted = _emit(step)
            for frame in emitted:
                yield frame
            _step_frames(ctx, StreamStep(deny=step.deny), None)
            if kept is not None:
                kept.extend(step.emit)
    step, outcome = flt.finish()
    for frame in _step_frames(ctx, StreamStep(emit=step.emit), kept):
        yield frame
    _step_frames(ctx, StreamStep(deny=step.deny), None)
    _judge(ctx, outcome)


async def _checked_frames(
    start: StreamStart, ctx: RequestContext, kept: list[dict[str, Any]] | None
) -> list[bytes]:
    """A buffered stream checked as a whole: assembled, checked like a complete response (webhooks
    and validUrls included), and replayed as chunks when a guardrail redacted it."""
    from gateway.cache import assemble_chunks, replay_as_chunks

    assert start.check_output is not None
    chunks: list[dict[str, Any]] = []  # Any: OpenAI chunk JSON
    async for batch in _batches(start):
        if ctx.telemetry is not None:
            ctx.telemetry.stream_chunk()
        chunks.extend(_DECODER.decode(payload) for payload in batch)
    changed = await start.check_output(assemble_chunks(chunks))
    if changed is not None:
        options = start.request.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        chunks = replay_as_chunks(changed, include_usage=include_usage)
    if kept is not None:
        kept.extend(chunks)
    return [_frame(_ENCODER.encode(chunk)) for chunk in chunks]


def _judge(ctx: RequestContext, outcome: GuardrailOutcome) -> None:
    """Record the end-of-stream verdict: a deny raises (error event), a flag makes the status 246."""
    ctx.hook_results.setdefault("after_request_hooks", []).extend(outcome.hook_results)
    if outcome.verdict == "deny":
        raise GuardrailDenied(
            {
                "before_request_hooks": ctx.hook_results.get("before_request_hooks", []),
                "after_request_hooks": ctx.hook_results.get("after_request_hooks", []),
            }
        )
    if outcome.verdict == "flag":
        ctx.status = 246


def verdict_event(ctx: RequestContext) -> bytes:
    """The last event before `[DONE]` when guardrails ran: Portkey's status and `hook_results`.

    Portkey reports a flag only through the status (246), which cannot change once a stream's headers
    are sent; this chunk (no choices, so SDKs skip it like the usage chunk) carries the verdict.
    """
    event = {
        "object": "chat.completion.chunk",
        "choices": [],
        "status": ctx.status,
        "hook_results": {
            "before_request_hooks": ctx.hook_results.get("before_request_hooks", []),
            "after_request_hooks": ctx.hook_results.get("after_request_hooks", []),
        },
    }
    return _frame(_ENCODER.encode(event))


def _store(start: StreamStart, components: Components, kept: list[dict[str, Any]]) -> None:
    """Cache a stream that completed, assembled into the equivalent `chat.completion`, in the
    background (the client's stream ends without waiting for the write)."""
    cache = components.cache
    if cache is None or start.cache_request is None or not kept:
        return
    from gateway.cache import assemble_chunks  # only reached with a cache configured

    components.background.spawn(cache.store(start.cache_request, assemble_chunks(kept)), "gw-cache-store")


async def sse_events(start: StreamStart, ctx: RequestContext, components: Components) -> AsyncIterator[bytes]:
    """SSE bytes for the client: every chunk, then `[DONE]` or a terminal error event.

    The outcome is settled and recorded before the last event is sent, so a client that saw `[DONE]`
    (or the error event) is already in the ledger even if the process dies right after.
    """
    status = 200
    kept: list[dict[str, Any]] | None = [] if start.cache_request is not None else None
    finished: list[bool] = []
    try:
        if start.buffered:
            # Nothing is sent before the end: an end-of-stream deny leaves the client with no text.
            held = [frame async for frame in _frames(start, ctx, kept)]
            yield b"".join(held)
        else:
            async for frame in _frames(start, ctx, kept):
                yield frame
        last = verdict_event(ctx) + DONE if ctx.hook_results else DONE
        if kept is not None and ctx.status == 200:
            _store(start, components, kept)  # complete: stored even if the client leaves before [DONE]
        await _finish(start, ctx, components, status, finished)
        yield last
    except (StreamBroken, GuardrailDenied) as exc:
        status = exc.status
        _LOG.warning(
            "stream ended with an error",
            extra={"gw.trace_id": ctx.trace_id, "gw.path": ctx.last_path, "gw.error": exc.message},
        )
        await _finish(start, ctx, components, status, finished)
        yield error_event(exc)
    except BaseException:
        status = 499  # the client went away (or the server is stopping) mid-stream
        raise
    finally:
        await _finish(start, ctx, components, status, finished)


async def _finish(
    start: StreamStart, ctx: RequestContext, components: Components, status: int, finished: list[bool]
) -> None:
    """Close the upstream, settle the reservation and record the row, once."""
    if finished:
        return
    finished.append(True)
    await start.stream.aclose()
    ctx.usage = start.stream.usage
    limiter = components.limiter
    if limiter is not None and start.reservation is not None and start.limit_ctx is not None:
        ctx.cost_usd = await limiter.settle(start.reservation, start.limit_ctx, ctx.usage)
    record_usage(components, ctx, status)
