"""Pure conversions between a `chat.completion` body and OpenAI stream chunks.

`replay_as_chunks` lets the executor serve a cache hit to a streaming request as a valid SSE stream;
`assemble_chunks` turns a finished upstream stream back into one body for the cache. A stream that
never sent a `finish_reason` assembles into a body whose choice has `finish_reason: None`, which
`is_complete_response` rejects, so a truncated stream is never stored.

Reasoning survives both ways: `reasoning_content` and Anthropic's signed `thinking_blocks` (carried on
lenient routes; see `gateway/providers/anthropic/stream.py` for the delta protocol: text fragments of
the open thinking block, then a fragment with its `signature` that ends it; a `redacted_thinking`
block whole). A cached answer keeps its signatures, so a client can send the blocks back next turn.
"""

from __future__ import annotations

from typing import Any

__all__ = ["assemble_chunks", "is_complete_response", "replay_as_chunks"]


def _chunk(completion: dict[str, Any], choices: list[dict[str, Any]]) -> dict[str, Any]:  # Any: OpenAI JSON
    out: dict[str, Any] = {  # Any: OpenAI JSON
        "id": completion.get("id", ""),
        "object": "chat.completion.chunk",
        "created": completion.get("created", 0),
        "model": completion.get("model", ""),
        "choices": choices,
    }
    if completion.get("system_fingerprint") is not None:
        out["system_fingerprint"] = completion["system_fingerprint"]
    return out


def _delta_choice(index: int, delta: dict[str, Any], **extra: Any) -> dict[str, Any]:  # Any: OpenAI JSON
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": None, **extra}


def _choice_chunks(completion: dict[str, Any], choice: dict[str, Any]) -> list[dict[str, Any]]:  # Any: JSON
    index = choice.get("index", 0)
    message = choice.get("message") or {}
    chunks = [_chunk(completion, [_delta_choice(index, {"role": message.get("role", "assistant")})])]
    chunks += [_chunk(completion, [_delta_choice(index, delta)]) for delta in _reasoning_deltas(message)]
    if message.get("content"):
        chunk = _delta_choice(index, {"content": message["content"]}, logprobs=choice.get("logprobs"))
        chunks.append(_chunk(completion, [chunk]))
    if message.get("refusal"):
        chunks.append(_chunk(completion, [_delta_choice(index, {"refusal": message["refusal"]})]))
    for i, call in enumerate(message.get("tool_calls") or ()):
        delta = {"tool_calls": [{"index": i, **call}]}
        chunks.append(_chunk(completion, [_delta_choice(index, delta)]))
    end = _delta_choice(index, {}, finish_reason=choice.get("finish_reason") or "stop")
    chunks.append(_chunk(completion, [end]))
    return chunks


def _reasoning_deltas(message: dict[str, Any]) -> list[dict[str, Any]]:  # Any: OpenAI JSON
    """The deltas that stream a message's reasoning: each signed thinking block as its text then its
    signature, a redacted block whole; plain `reasoning_content` when there are no blocks."""
    blocks = message.get("thinking_blocks")
    if not blocks:
        reasoning = message.get("reasoning_content")
        return [{"reasoning_content": reasoning}] if reasoning else []
    deltas: list[dict[str, Any]] = []  # Any: OpenAI JSON
    for block in blocks:
        if block.get("type") != "thinking":
            deltas.append({"thinking_blocks": [block]})
            continue
        text = block.get("thinking", "")
        fragment = {"type": "thinking", "thinking": text}
        deltas.append({"reasoning_content": text, "thinking_blocks": [fragment]})
        signed = {"type": "thinking", "thinking": "", "signature": block.get("signature", "")}
        deltas.append({"thinking_blocks": [signed]})
    return deltas


def replay_as_chunks(
    completion: dict[str, Any], *, include_usage: bool = False
) -> list[dict[str, Any]]:  # Any: OpenAI JSON
    """Turn a stored `chat.completion` into the `chat.completion.chunk` dicts of an equivalent stream.

    With `include_usage` (the request's `stream_options.include_usage`), a last chunk with empty
    `choices` carries the usage, as OpenAI sends it.
    """
    chunks: list[dict[str, Any]] = []  # Any: OpenAI JSON
    for choice in completion.get("choices") or ():
        chunks.extend(_choice_chunks(completion, choice))
    if include_usage and completion.get("usage") is not None:
        chunks.append({**_chunk(completion, []), "usage": completion["usage"]})
    return chunks


def _merge_tool_call(calls: list[dict[str, Any]], part: dict[str, Any]) -> None:  # Any: OpenAI JSON
    index = part.get("index", len(calls))
    while len(calls) <= index:
        calls.append({"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
    call = calls[index]
    if part.get("id"):
        call["id"] = part["id"]
    if part.get("type"):
        call["type"] = part["type"]
    function = part.get("function") or {}
    call["function"]["name"] += function.get("name") or ""
    call["function"]["arguments"] += function.get("arguments") or ""


def _merge_thinking(blocks: list[dict[str, Any]], fragment: dict[str, Any]) -> None:  # Any: JSON
    """Add one `thinking_blocks` delta entry: text extends the open (unsigned) thinking block or opens
    one; a signature closes it; anything else (a redacted block) is a block of its own."""
    if fragment.get("type") != "thinking":
        blocks.append(dict(fragment))
        return
    last = blocks[-1] if blocks else None
    if last is None or last.get("type") != "thinking" or last.get("signature"):
        last = {"type": "thinking", "thinking": "", "signature": ""}
        blocks.append(last)
    last["thinking"] += fragment.get("thinking") or ""
    if fragment.get("signature"):
        last["signature"] = fragment["signature"]


def _merge_choice(state: dict[str, Any], choice: dict[str, Any]) -> None:  # Any: OpenAI JSON
    delta = choice.get("delta") or {}
    message = state["message"]
    if delta.get("role"):
        message["role"] = delta["role"]
    for field in ("content", "refusal", "reasoning_content"):
        if delta.get(field):
            message[field] = (message.get(field) or "") + delta[field]
    for fragment in delta.get("thinking_blocks") or ():
        _merge_thinking(message.setdefault("thinking_blocks", []), fragment)
    for part in delta.get("tool_calls") or ():
        _merge_tool_call(message.setdefault("tool_calls", []), part)
    if choice.get("logprobs") is not None:
        state["logprobs"] = choice["logprobs"]
    if choice.get("finish_reason") is not None:
        state["finish_reason"] = choice["finish_reason"]


def assemble_chunks(chunks: list[dict[str, Any]]) -> dict[str, Any]:  # Any: OpenAI JSON
    """Assemble OpenAI stream chunks into the equivalent `chat.completion` body."""
    first = chunks[0] if chunks else {}
    states: dict[int, dict[str, Any]] = {}  # Any: OpenAI JSON
    usage = None
    for chunk in chunks:
        for choice in chunk.get("choices") or ():
            index = choice.get("index", 0)
            state = states.setdefault(
                index,
                {
                    "index": index,
                    "message": {"role": "assistant", "content": None},
                    "logprobs": None,
                    "finish_reason": None,
                },
            )
            _merge_choice(state, choice)
        if chunk.get("usage") is not None:
            usage = chunk["usage"]
    out: dict[str, Any] = {  # Any: OpenAI JSON
        "id": first.get("id", ""),
        "object": "chat.completion",
        "created": first.get("created", 0),
        "model": first.get("model", ""),
        "choices": [states[i] for i in sorted(states)],
    }
    if first.get("system_fingerprint") is not None:
        out["system_fingerprint"] = first["system_fingerprint"]
    if usage is not None:
        out["usage"] = usage
    return out


def is_complete_response(response: dict[str, Any]) -> bool:  # Any: OpenAI JSON
    """Tell whether a body is a successful, complete completion (or embeddings list) worth storing."""
    if not isinstance(response, dict) or "error" in response:
        return False
    if response.get("object") == "list":
        return bool(response.get("data"))
    choices = response.get("choices")
    if response.get("object") != "chat.completion" or not isinstance(choices, list) or not choices:
        return False
    return all(isinstance(c, dict) and c.get("finish_reason") is not None for c in choices)
