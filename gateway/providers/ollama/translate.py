"""Pure translation between OpenAI chat requests/responses and Ollama's native `/api/chat`.

Ollama takes system messages and OpenAI-format tools as they are; the differences are option names
(`num_predict`, `options.stop`…), images as bare base64 (no URLs: gw does not fetch them), tool-call
arguments as objects, tool results carrying `tool_name`, and `format` for JSON output. Ollama cannot force
a tool call, so `tool_choice` other than auto/none is refused rather than ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from gateway.errors import RequestError, UpstreamError
from gateway.providers.chat_request import data_url, function_tools, stop_sequences
from gateway.providers.chat_request import tool_calls as read_tool_calls
from gateway.providers.compliance import ParamPlan, plan_params
from gateway.providers.extras import nested_anthropic_extras
from gateway.providers.ollama.wire import (
    ChatRequest,
    ChatResponse,
    ErrorBody,
    Message,
    Options,
    ToolCall,
    ToolFunction,
)
from gateway.usage import Usage

__all__ = ["build_request", "chat_completion", "finish_reason", "parse_error", "tool_calls", "usage_from"]

_TRANSLATED = [
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "seed",
    "presence_penalty", "frequency_penalty", "response_format", "tools", "tool_choice", "stream",
    "stream_options", "n", "logprobs", "top_logprobs",
]  # fmt: skip
_REFUSED = {
    "n": lambda v: None if v == 1 else "Ollama returns one choice per request",
    "logprobs": lambda v: None if v is False else "gw does not translate Ollama log probabilities",
    "top_logprobs": lambda v: None if not v else "gw does not translate Ollama log probabilities",
    "tool_choice": lambda v: None if v in ("auto", "none") else "Ollama cannot force a tool call",
}
_JSON = msgspec.json.Decoder()
_DECODE_ERROR = msgspec.json.Decoder(ErrorBody)


def build_request(
    body: Mapping[str, Any], *, strict: bool, stream: bool
) -> tuple[dict[str, Any], ParamPlan]:  # Any: OpenAI / Ollama JSON
    """Translate an OpenAI chat request into an `/api/chat` body and the parameter plan."""
    plan = plan_params(body, provider="ollama", translated=_TRANSLATED, refused=_REFUSED, strict=strict)
    plan = plan.dropping(nested_anthropic_extras(body))  # never translated: named, not silent
    options = Options(
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        num_predict=body.get("max_completion_tokens") or body.get("max_tokens"),
        stop=stop_sequences(body.get("stop")),
        seed=body.get("seed"),
        presence_penalty=body.get("presence_penalty"),
        frequency_penalty=body.get("frequency_penalty"),
    )
    tools = [
        {"type": "function", "function": msgspec.to_builtins(t)}
        for t in function_tools(body.get("tools"))
        if body.get("tool_choice") != "none"
    ]
    request = ChatRequest(
        model=str(body.get("model", "")),
        messages=_messages(body.get("messages")),
        stream=stream,
        tools=tools or None,
        format=_format(body.get("response_format")),
        options=options if options != Options() else None,
    )
    out: dict[str, Any] = msgspec.to_builtins(request)
    out.update(plan.passthrough)
    return out, plan


def _format(raw: Any) -> str | dict[str, Any] | None:  # Any: OpenAI JSON
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind in (None, "text"):
        return None
    if kind == "json_object":
        return "json"
    spec = raw.get("json_schema") if kind == "json_schema" else None
    schema = spec.get("schema") if isinstance(spec, dict) else None
    if isinstance(schema, dict):
        return schema
    raise RequestError(
        "`response_format` must be text, json_object or json_schema with a schema", param="response_format"
    )


def _messages(raw: Any) -> list[Message]:  # Any: client JSON
    if not isinstance(raw, list) or not raw:
        raise RequestError("`messages` must be a non-empty array", param="messages")
    out: list[Message] = []
    names: dict[str, str] = {}
    for i, msg in enumerate(raw):
        role = msg.get("role") if isinstance(msg, dict) else None
        where = f"messages[{i}]"
        if role not in ("system", "developer", "user", "assistant", "tool"):
            raise RequestError(f"unsupported message role {role!r} for ollama", param=f"{where}.role")
        text, images = _content(msg.get("content"), where)
        message = Message(role="system" if role == "developer" else role, content=text, images=images or None)
        if role == "assistant":
            calls = read_tool_calls(msg, where)
            names.update({c.id: c.name for c in calls})
            message.tool_calls = [
                ToolCall(function=ToolFunction(name=c.name, arguments=c.arguments)) for c in calls
            ] or None
        if role == "tool":
            call_id = msg.get("tool_call_id")
            message.tool_name = names.get(call_id) if isinstance(call_id, str) else None
        out.append(message)
    return out


def _content(content: Any, where: str) -> tuple[str, list[str]]:  # Any: client JSON
    if content is None or isinstance(content, str):
        return content or "", []
    texts: list[str] = []
    images: list[str] = []
    if not isinstance(content, list):
        raise RequestError("`content` must be a string or an array of parts", param=f"{where}.content")
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("text", "refusal"):
            texts.append(str(part.get("text") or part.get("refusal") or ""))
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else None
            images.append(_image(url, f"{where}.content[{j}].image_url.url"))
        else:
            raise RequestError(f"unsupported content part {kind!r} for ollama", param=f"{where}.content[{j}]")
    return "\n".join(texts), images


def _image(url: Any, param: str) -> str:  # Any: client JSON
    inline = data_url(url, param)
    if inline is None:
        raise RequestError(
            "ollama takes images as base64 data URLs; gw does not fetch image URLs", param=param
        )
    return inline[1]


def usage_from(resp: ChatResponse) -> Usage:
    """Ollama counts prompt and output tokens only (no cache or reasoning split)."""
    return Usage(prompt_tokens=resp.prompt_eval_count, completion_tokens=resp.eval_count)


def tool_calls(calls: list[ToolCall], start: int = 0) -> list[dict[str, Any]]:  # Any: OpenAI JSON
    """OpenAI tool calls for Ollama's (which carry no ids: gw numbers them)."""
    return [
        {
            "id": f"call_{start + i}",
            "type": "function",
            "function": {
                "name": c.function.name,
                "arguments": msgspec.json.encode(c.function.arguments).decode(),
            },
        }
        for i, c in enumerate(calls)
    ]


def finish_reason(done_reason: str | None, has_calls: bool) -> str:
    """Map `done_reason` to OpenAI's finish_reason."""
    if done_reason == "length":
        return "length"
    return "tool_calls" if has_calls else "stop"


def chat_completion(
    resp: ChatResponse, *, created: int, strict: bool
) -> tuple[dict[str, Any], Usage]:  # Any: JSON
    """Translate a complete `/api/chat` answer into an OpenAI `chat.completion` and its usage."""
    msg = resp.message or Message(role="assistant")
    calls = tool_calls(msg.tool_calls or [])
    message: dict[str, Any] = {
        "role": "assistant",
        "content": msg.content if msg.content or not calls else None,
    }
    if calls:
        message["tool_calls"] = calls
    if msg.thinking and not strict:
        message["reasoning_content"] = msg.thinking
    usage = usage_from(resp)
    body = {
        "id": f"chatcmpl-ollama-{created}",
        "object": "chat.completion",
        "created": created,
        "model": resp.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason(resp.done_reason, bool(calls)),
            }
        ],
        "usage": usage.openai_json(),
    }
    return body, usage


def parse_error(status: int, raw: bytes, *, provider: str) -> UpstreamError:
    """Map Ollama's `{"error": "..."}` to an UpstreamError that keeps the status."""
    try:
        message = _DECODE_ERROR.decode(raw).error
    except msgspec.DecodeError:
        message = raw[:500].decode("utf-8", "replace")
    kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
    return UpstreamError(f"ollama error: {message}", status=status, provider=provider, type=kind)
