"""The Anthropic-compatible front door, translation only: `/v1/messages` in, OpenAI chat inside.

An Anthropic-SDK client's request becomes an OpenAI chat request (`chat_request_from_messages`) that
the one executor routes to any provider; the OpenAI completion coming back becomes an Anthropic
`message` (`message_from_completion`); streams are turned into Anthropic events by
`gateway.providers.anthropic.inbound_stream.AnthropicEventStream`. Errors are rendered in Anthropic's
shape by `error_body`. The HTTP route that uses these functions lives in `gateway.http`.

What does not survive the round trip through OpenAI's format: `thinking` blocks (and their
signatures), `document` and server-tool blocks (refused with a 400) and `cache_control` hints. `top_k`
is kept in the OpenAI request; each target adapter applies its parameter rule to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from gateway.errors import GatewayError, RequestError
from gateway.usage import Usage

__all__ = [
    "STOP_REASONS",
    "anthropic_usage",
    "chat_request_from_messages",
    "error_body",
    "message_from_completion",
]

STOP_REASONS: Mapping[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}
"""OpenAI finish_reason → Anthropic stop_reason."""

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
_ENCODE = msgspec.json.Encoder()
_JSON = msgspec.json.Decoder()


def chat_request_from_messages(body: Mapping[str, Any]) -> dict[str, Any]:  # Any: client / OpenAI JSON
    """Translate an Anthropic `/v1/messages` request into an OpenAI chat request."""
    if not isinstance(body.get("model"), str):
        raise RequestError("model: Field required", param="model")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise RequestError("max_tokens: Field required", param="max_tokens")
    out: dict[str, Any] = {"model": body["model"], "max_tokens": max_tokens}
    out["messages"] = _system(body.get("system")) + _messages(body.get("messages"))
    for name in ("temperature", "top_p", "top_k"):
        if body.get(name) is not None:
            out[name] = body[name]
    stops = body.get("stop_sequences")
    if stops:
        if not isinstance(stops, list) or not all(isinstance(x, str) for x in stops):
            raise RequestError("stop_sequences: Input should be a list of strings", param="stop_sequences")
        out["stop"] = list(stops)
    if body.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    _tools(body.get("tools"), out)
    _tool_choice(body.get("tool_choice"), out)
    _metadata(body.get("metadata"), out)
    return out


def _system(system: Any) -> list[dict[str, Any]]:  # Any: client JSON
    if not system:
        return []
    if isinstance(system, str):
        return [{"role": "system", "content": system}]
    if not isinstance(system, list):
        raise RequestError("system: Input should be a string or a list of text blocks", param="system")
    text = "\n\n".join(
        str(b.get("text", "")) for b in system if isinstance(b, dict) and b.get("type") == "text"
    )
    return [{"role": "system", "content": text}]


def _metadata(metadata: Any, out: dict[str, Any]) -> None:  # Any: client JSON
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise RequestError("metadata: Input should be an object", param="metadata")
    if metadata.get("user_id"):
        out["user"] = str(metadata["user_id"])


def _tools(tools: Any, out: dict[str, Any]) -> None:  # Any: client JSON
    if not tools:
        return
    if not isinstance(tools, list):
        raise RequestError("tools: Input should be a list", param="tools")
    out["tools"] = [_tool(t, i) for i, t in enumerate(tools)]


def _messages(raw: Any) -> list[dict[str, Any]]:  # Any: client JSON
    if not isinstance(raw, list) or not raw:
        raise RequestError("messages: at least one message is required", param="messages")
    out: list[dict[str, Any]] = []
    for i, msg in enumerate(raw):
        role = msg.get("role") if isinstance(msg, dict) else None
        content = msg.get("content") if isinstance(msg, dict) else None
        if role == "user":
            out.extend(_user(content, f"messages.{i}"))
        elif role == "assistant":
            out.append(_assistant(content, f"messages.{i}"))
        else:
            raise RequestError(
                f"messages.{i}.role: Input should be 'user' or 'assistant'", param=f"messages.{i}.role"
            )
    return out


def _user(content: Any, where: str) -> list[dict[str, Any]]:  # Any: client JSON
    """Tool results become `tool` messages (first, as OpenAI wants them right after the call)."""
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    if not isinstance(content, list):
        raise RequestError(
            f"{where}.content: Input should be a string or a list of blocks", param=f"{where}.content"
        )
    tools: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for j, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "tool_result":
            tools.append(
                {"role": "tool", "tool_call_id": block.get("tool_use_id"), "content": _result_text(block)}
            )
        elif kind == "text":
            parts.append({"type": "text", "text": block.get("text", "")})
        elif kind == "image":
            parts.append(
                {"type": "image_url", "image_url": {"url": _image_url(block, f"{where}.content.{j}")}}
            )
        else:
            raise RequestError(
                f"{where}.content.{j}: block type {kind!r} cannot be routed", param=f"{where}.content.{j}"
            )
    return tools + ([{"role": "user", "content": parts}] if parts else [])


def _result_text(block: dict[str, Any]) -> str:  # Any: client JSON
    content = block.get("content")
    if isinstance(content, list):
        text = "".join(
            str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    else:
        text = content if isinstance(content, str) else ""
    return f"Error: {text}" if block.get("is_error") else text


def _image_url(block: dict[str, Any], where: str) -> str:  # Any: client JSON
    source = block.get("source")
    if not isinstance(source, dict):
        source = {}
    if source.get("type") == "base64":
        return f"data:{source.get('media_type')};base64,{source.get('data')}"
    if source.get("type") == "url":
        return str(source.get("url"))
    raise RequestError(f"{where}.source: image source must be base64 or url", param=f"{where}.source")


def _assistant(content: Any, where: str) -> dict[str, Any]:  # Any: client JSON
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    if not isinstance(content, list):
        raise RequestError(
            f"{where}.content: Input should be a string or a list of blocks", param=f"{where}.content"
        )
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_use":
            arguments = _ENCODE.encode(block.get("input") or {}).decode()
            calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {"name": block.get("name"), "arguments": arguments},
                }
            )
        # thinking / redacted_thinking blocks have no OpenAI equivalent and are not forwarded.
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    return message


def _tool(tool: Any, i: int) -> dict[str, Any]:  # Any: client JSON
    if not isinstance(tool, dict) or not tool.get("name") or "input_schema" not in tool:
        raise RequestError(
            f"tools.{i}: only client tools with name and input_schema can be routed", param=f"tools.{i}"
        )
    fn: dict[str, Any] = {"name": tool["name"], "parameters": tool["input_schema"]}
    if tool.get("description"):
        fn["description"] = tool["description"]
    return {"type": "function", "function": fn}


def _tool_choice(choice: Any, out: dict[str, Any]) -> None:  # Any: client JSON
    if not isinstance(choice, dict):
        return
    kind = choice.get("type")
    mapped = {"auto": "auto", "any": "required", "none": "none"}.get(kind or "")
    if kind == "tool":
        out["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
    elif mapped:
        out["tool_choice"] = mapped
    if choice.get("disable_parallel_tool_use"):
        out["parallel_tool_calls"] = False


def anthropic_usage(usage: Usage) -> dict[str, int]:
    """Anthropic's usage object: `input_tokens` excludes cache reads and cache writes."""
    return {
        "input_tokens": max(0, usage.prompt_tokens - usage.cached_read_tokens - usage.cache_write_tokens),
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_read_tokens,
        "output_tokens": usage.completion_tokens,
    }


def message_from_completion(completion: Mapping[str, Any], usage: Usage) -> dict[str, Any]:  # Any: JSON
    """Translate an OpenAI `chat.completion` (and its normalised usage) into an Anthropic `message`."""
    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content: list[dict[str, Any]] = []
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls") or ():
        fn = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": fn.get("name"),
                "input": _arguments(fn.get("arguments")),
            }
        )
    return {
        "id": str(completion.get("id") or "msg_gw"),
        "type": "message",
        "role": "assistant",
        "model": completion.get("model"),
        "content": content,
        "stop_reason": STOP_REASONS.get(choice.get("finish_reason") or "stop", "end_turn"),
        "stop_sequence": None,
        "usage": anthropic_usage(usage),
    }


def _arguments(raw: Any) -> dict[str, Any]:  # Any: tool arguments JSON
    try:
        value = _JSON.decode(raw) if isinstance(raw, str) and raw else {}
    except msgspec.DecodeError:
        return {"_unparsed_arguments": raw}
    return value if isinstance(value, dict) else {"value": value}


def error_body(error: GatewayError) -> dict[str, Any]:  # Any: Anthropic error JSON
    """Render any gateway error in Anthropic's error shape (the status stays the error's own)."""
    kind = _ERROR_TYPES.get(error.status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": error.message}}
