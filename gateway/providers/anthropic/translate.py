"""Pure translation of OpenAI chat requests into Anthropic Messages API bodies.

System/developer messages are lifted into `system`; tool results become `tool_result` blocks in
a user turn (ids kept); consecutive same-role turns are merged (Anthropic demands alternation);
`max_tokens` defaults to `DEFAULT_MAX_TOKENS`. Anthropic-only details nested in the request
(`cache_control`, an assistant message's `thinking_blocks`) follow the parameter rule where they sit
(`gateway.providers.anthropic.hints`); signed thinking goes back first in its assistant turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from gateway.errors import RequestError
from gateway.providers.anthropic.hints import NestedHints
from gateway.providers.anthropic.wire import (
    Base64Source,
    ImageBlock,
    Message,
    MessagesRequest,
    RedactedThinkingBlock,
    RequestBlock,
    TextBlock,
    ThinkingBlock,
    Tool,
    ToolChoice,
    ToolResultBlock,
    ToolUseBlock,
    UrlSource,
)
from gateway.providers.chat_request import data_url, function_tools, named_tool, stop_sequences, tool_calls
from gateway.providers.compliance import ParamPlan, plan_params

__all__ = ["DEFAULT_MAX_TOKENS", "build_request", "image_block"]

DEFAULT_MAX_TOKENS = 4096
"""`max_tokens` sent when the client gave none (Anthropic requires it; Portkey forwards and gets a 400)."""


_TRANSLATED = [
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "user",
    "n",
    "logprobs",
    "top_logprobs",
]

_REFUSED = {
    "n": lambda v: None if v == 1 else "Anthropic returns one choice per request",
    "logprobs": lambda v: None if v is False else "Anthropic does not return log probabilities",
    "top_logprobs": lambda v: None if not v else "Anthropic does not return log probabilities",
}


def build_request(
    body: Mapping[str, Any],  # Any: OpenAI chat request JSON
    *,
    strict: bool,
    stream: bool = False,
) -> tuple[dict[str, Any], ParamPlan]:  # Any: Anthropic request JSON
    """Translate an OpenAI chat request into an Anthropic `/v1/messages` body and the parameter plan."""
    plan = plan_params(body, provider="anthropic", translated=_TRANSLATED, refused=_REFUSED, strict=strict)
    hints = NestedHints(strict=strict)
    system, messages = _messages(body.get("messages"), hints)
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_MAX_TOKENS
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise RequestError("`max_tokens` must be an integer", param="max_tokens")
    request = MessagesRequest(
        model=str(body.get("model", "")),
        messages=messages,
        max_tokens=max_tokens,
        system=system or None,
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        stop_sequences=stop_sequences(body.get("stop")),
        stream=True if stream else None,
        tools=_tools(body.get("tools"), hints),
        tool_choice=_tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls")),
        metadata={"user_id": str(body["user"])} if body.get("user") else None,
    )
    out: dict[str, Any] = msgspec.to_builtins(request)
    out.update(plan.passthrough)
    return out, hints.merged(plan)


def _messages(raw: Any, hints: NestedHints) -> tuple[list[TextBlock], list[Message]]:  # Any: client JSON
    if not isinstance(raw, list) or not raw:
        raise RequestError("`messages` must be a non-empty array", param="messages")
    system: list[TextBlock] = []
    turns: list[Message] = []
    for i, msg in enumerate(raw):
        role = msg.get("role") if isinstance(msg, dict) else None
        where = f"messages[{i}]"
        if role in ("system", "developer"):
            system.extend(_text_blocks(msg.get("content"), where, hints))
            continue
        blocks, wire_role = _turn(msg, role, where, hints)
        if not blocks:
            continue
        if turns and turns[-1].role == wire_role:
            turns[-1].content.extend(blocks)
        else:
            turns.append(Message(role=wire_role, content=blocks))
    for turn in turns:
        # Anthropic wants a user turn's tool_result blocks before its other content.
        turn.content.sort(key=lambda block: not isinstance(block, ToolResultBlock))
    return system, turns


def _turn(
    msg: dict[str, Any], role: Any, where: str, hints: NestedHints
) -> tuple[list[RequestBlock], str]:  # Any: client JSON
    if role == "user":
        return _user_blocks(msg.get("content"), where, hints), "user"
    if role == "assistant":
        blocks: list[RequestBlock] = _thinking_blocks(msg.get("thinking_blocks"), where, hints)
        blocks.extend(_text_blocks(msg.get("content"), where, hints))
        for call in tool_calls(msg, where):
            blocks.append(ToolUseBlock(id=call.id, name=call.name, input=call.arguments))
        return blocks, "assistant"
    if role == "tool":
        call_id = msg.get("tool_call_id")
        if not isinstance(call_id, str):
            raise RequestError("a tool message needs `tool_call_id`", param=f"{where}.tool_call_id")
        parts = _text_blocks(msg.get("content"), where, hints)
        marks = [b.cache_control for b in parts if b.cache_control is not None]
        text = "".join(b.text for b in parts)
        mark = marks[-1] if marks else None
        return [ToolResultBlock(tool_use_id=call_id, content=text, cache_control=mark)], "user"
    raise RequestError(f"unsupported message role {role!r} for anthropic", param=f"{where}.role")


def _thinking_blocks(raw: Any, where: str, hints: NestedHints) -> list[RequestBlock]:  # Any: client JSON
    """An assistant message's `thinking_blocks`, checked (Anthropic verifies them against their signature)."""
    if hints.keep("thinking_blocks", raw) is None:
        return []
    if not isinstance(raw, list):
        raise RequestError("`thinking_blocks` must be an array", param=f"{where}.thinking_blocks")
    out: list[RequestBlock] = []
    for j, block in enumerate(raw):
        param = f"{where}.thinking_blocks[{j}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "thinking":
            thinking, signature = block.get("thinking"), block.get("signature")
            if not isinstance(thinking, str) or not isinstance(signature, str) or not signature:
                raise RequestError(
                    "a thinking block needs its `thinking` text and the `signature` it came with",
                    param=f"{param}.signature",
                )
            out.append(ThinkingBlock(thinking=thinking, signature=signature))
        elif kind == "redacted_thinking" and isinstance(block.get("data"), str):
            out.append(RedactedThinkingBlock(data=block["data"]))
        else:
            raise RequestError(
                "expected {type: thinking, thinking, signature} or {type: redacted_thinking, data}",
                param=param,
            )
    return out


def _text_blocks(content: Any, where: str, hints: NestedHints) -> list[TextBlock]:  # Any: client JSON
    if content is None:
        return []
    if isinstance(content, str):
        return [TextBlock(text=content)] if content else []
    out: list[TextBlock] = []
    if not isinstance(content, list):
        raise RequestError("`content` must be a string or an array of parts", param=f"{where}.content")
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in ("text", "refusal"):
            raise RequestError(
                f"only text parts are allowed here, got {kind!r}", param=f"{where}.content[{j}]"
            )
        text = part.get("text") or part.get("refusal") or ""
        if text:
            mark = hints.keep("cache_control", part.get("cache_control"))
            out.append(TextBlock(text=text, cache_control=mark))
    return out


def _user_blocks(content: Any, where: str, hints: NestedHints) -> list[RequestBlock]:  # Any: client JSON
    if content is None or isinstance(content, str):
        return list(_text_blocks(content, where, hints))
    out: list[RequestBlock] = []
    if not isinstance(content, list):
        raise RequestError("`content` must be a string or an array of parts", param=f"{where}.content")
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else None
            block = image_block(url, f"{where}.content[{j}].image_url.url")
            block.cache_control = hints.keep("cache_control", part.get("cache_control"))
            out.append(block)
        else:
            out.extend(_text_blocks([part], f"{where}", hints))
    return out


def image_block(url: Any, param: str) -> ImageBlock:  # Any: client JSON
    """Turn an OpenAI image URL (a `data:` URL or http(s)) into an Anthropic image block."""
    inline = data_url(url, param)
    if inline is not None:
        return ImageBlock(source=Base64Source(media_type=inline[0], data=inline[1]))
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return ImageBlock(source=UrlSource(url=url))
    raise RequestError("an image must be a base64 data URL or an http(s) URL", param=param)


def _tools(raw: Any, hints: NestedHints) -> list[Tool] | None:  # Any: client JSON
    # function_tools refuses anything but a list of function tools, so `raw` lines up with its result.
    tools = [
        Tool(
            name=t.name,
            description=t.description,
            input_schema=t.parameters or {"type": "object", "properties": {}},
            cache_control=hints.keep("cache_control", wire.get("cache_control")),
        )
        for t, wire in zip(function_tools(raw), raw or (), strict=True)
    ]
    return tools or None


def _tool_choice(raw: Any, parallel: Any) -> ToolChoice | None:  # Any: client JSON
    no_parallel = True if parallel is False else None
    if raw is None:
        return ToolChoice(type="auto", disable_parallel_tool_use=True) if no_parallel else None
    if raw in ("auto", "none"):
        return ToolChoice(type=raw, disable_parallel_tool_use=no_parallel if raw == "auto" else None)
    if raw == "required":
        return ToolChoice(type="any", disable_parallel_tool_use=no_parallel)
    return ToolChoice(type="tool", name=named_tool(raw), disable_parallel_tool_use=no_parallel)
