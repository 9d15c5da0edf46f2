"""The front door's request half: an Anthropic `/v1/messages` body becomes an OpenAI chat request.

Anthropic-only details travel in the OpenAI request where an OpenAI-shaped adapter can find them, so
that a lenient route delivers them to an Anthropic target verbatim and a strict one drops and names
them (`gateway.providers.anthropic.hints`):

- top-level `thinking` stays a top-level parameter (like `top_k`);
- `cache_control` on system, text, image and `tool_result` blocks rides on the OpenAI content parts
  (text then goes as an array of parts), and on tools on the OpenAI tool object;
- an assistant turn's `thinking` / `redacted_thinking` blocks become the message's `thinking_blocks`
  (LiteLLM's name for them), signatures intact.

OpenAI-family targets receive the request as it is and answer for themselves (see docs/providers.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from gateway.errors import RequestError

__all__ = ["chat_request_from_messages"]

_ENCODE = msgspec.json.Encoder()


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
    _thinking(body.get("thinking"), out)
    _tools(body.get("tools"), out)
    _tool_choice(body.get("tool_choice"), out)
    _metadata(body.get("metadata"), out)
    return out


def _marked(part: dict[str, Any], block: dict[str, Any]) -> dict[str, Any]:  # Any: OpenAI / client JSON
    """`part` with the block's `cache_control`, if it has one."""
    if block.get("cache_control") is not None:
        part["cache_control"] = block["cache_control"]
    return part


def _system(system: Any) -> list[dict[str, Any]]:  # Any: client JSON
    if not system:
        return []
    if isinstance(system, str):
        return [{"role": "system", "content": system}]
    if not isinstance(system, list):
        raise RequestError("system: Input should be a string or a list of text blocks", param="system")
    blocks = [b for b in system if isinstance(b, dict) and b.get("type") == "text"]
    if any(b.get("cache_control") is not None for b in blocks):
        parts = [_marked({"type": "text", "text": str(b.get("text", ""))}, b) for b in blocks]
        return [{"role": "system", "content": parts}]
    return [{"role": "system", "content": "\n\n".join(str(b.get("text", "")) for b in blocks)}]


def _thinking(thinking: Any, out: dict[str, Any]) -> None:  # Any: client JSON
    if thinking is None:
        return
    if not isinstance(thinking, dict):
        raise RequestError("thinking: Input should be an object", param="thinking")
    out["thinking"] = thinking


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


def _tool(tool: Any, i: int) -> dict[str, Any]:  # Any: client JSON
    if not isinstance(tool, dict) or not tool.get("name") or "input_schema" not in tool:
        raise RequestError(
            f"tools.{i}: only client tools with name and input_schema can be routed", param=f"tools.{i}"
        )
    fn: dict[str, Any] = {"name": tool["name"], "parameters": tool["input_schema"]}
    if tool.get("description"):
        fn["description"] = tool["description"]
    return _marked({"type": "function", "function": fn}, tool)


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


def _blocks(content: Any, where: str) -> list[Any]:  # Any: client JSON
    if not isinstance(content, list):
        raise RequestError(
            f"{where}.content: Input should be a string or a list of blocks", param=f"{where}.content"
        )
    return content


def _user(content: Any, where: str) -> list[dict[str, Any]]:  # Any: client JSON
    """Tool results become `tool` messages (first, as OpenAI wants them right after the call)."""
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    tools: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for j, block in enumerate(_blocks(content, where)):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "tool_result":
            tools.append(_tool_message(block))
        elif kind == "text":
            parts.append(_marked({"type": "text", "text": block.get("text", "")}, block))
        elif kind == "image":
            url = _image_url(block, f"{where}.content.{j}")
            parts.append(_marked({"type": "image_url", "image_url": {"url": url}}, block))
        else:
            raise RequestError(
                f"{where}.content.{j}: block type {kind!r} cannot be routed", param=f"{where}.content.{j}"
            )
    return tools + ([{"role": "user", "content": parts}] if parts else [])


def _tool_message(block: dict[str, Any]) -> dict[str, Any]:  # Any: client / OpenAI JSON
    text = _result_text(block)
    content: Any = text  # Any: a string, or text parts when the block carries a cache hint
    if block.get("cache_control") is not None:
        content = [_marked({"type": "text", "text": text}, block)]
    return {"role": "tool", "tool_call_id": block.get("tool_use_id"), "content": content}


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
    texts: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    thinking: list[dict[str, Any]] = []
    for j, block in enumerate(_blocks(content, where)):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(_marked({"type": "text", "text": str(block.get("text", ""))}, block))
        elif kind == "tool_use":
            arguments = _ENCODE.encode(block.get("input") or {}).decode()
            function = {"name": block.get("name"), "arguments": arguments}
            calls.append({"id": block.get("id"), "type": "function", "function": function})
        elif kind in ("thinking", "redacted_thinking"):
            thinking.append(_thinking_block(block, f"{where}.content.{j}"))
    message: dict[str, Any] = {"role": "assistant", "content": _assistant_text(texts)}
    if calls:
        message["tool_calls"] = calls
    if thinking:
        message["thinking_blocks"] = thinking
    return message


def _assistant_text(parts: list[dict[str, Any]]) -> Any:  # Any: OpenAI content (string, parts or null)
    if any("cache_control" in p for p in parts):
        return parts
    return "".join(p["text"] for p in parts) or None


def _thinking_block(block: dict[str, Any], where: str) -> dict[str, Any]:  # Any: client / OpenAI JSON
    """A thinking block as it came (Anthropic checks the signature), with its fields checked."""
    if block["type"] == "redacted_thinking":
        if not isinstance(block.get("data"), str):
            raise RequestError(f"{where}.data: Field required", param=f"{where}.data")
        return {"type": "redacted_thinking", "data": block["data"]}
    for name in ("thinking", "signature"):
        if not isinstance(block.get(name), str):
            raise RequestError(f"{where}.{name}: Field required", param=f"{where}.{name}")
    return {"type": "thinking", "thinking": block["thinking"], "signature": block["signature"]}
