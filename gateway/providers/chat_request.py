"""Reading the parts of an OpenAI chat request that every translating adapter needs, validated once.

Client JSON is untrusted: anything malformed here is a 400 `RequestError` naming the field (never a
500), whichever provider the request is translated for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from gateway.errors import RequestError

__all__ = [
    "FunctionTool",
    "ToolCallIn",
    "data_url",
    "function_tools",
    "named_tool",
    "stop_sequences",
    "stream_usage_requested",
    "tool_calls",
]

_JSON = msgspec.json.Decoder()


class ToolCallIn(msgspec.Struct, frozen=True, kw_only=True):
    """A tool call from an assistant message, arguments parsed into an object."""

    id: str
    name: str
    arguments: dict[str, Any]  # Any: tool arguments JSON


class FunctionTool(msgspec.Struct, frozen=True, kw_only=True):
    """A function tool the model may call."""

    name: str
    description: str | None
    parameters: dict[str, Any] | None  # Any: JSON Schema


def tool_calls(msg: dict[str, Any], where: str) -> list[ToolCallIn]:  # Any: client JSON
    """The message's `tool_calls`, each with a name and object arguments."""
    raw = msg.get("tool_calls")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RequestError("`tool_calls` must be an array", param=f"{where}.tool_calls")
    return [_tool_call(call, f"{where}.tool_calls[{j}]") for j, call in enumerate(raw)]


def _tool_call(call: Any, where: str) -> ToolCallIn:  # Any: client JSON
    fn = call.get("function") if isinstance(call, dict) else None
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
        raise RequestError("a tool call needs `function.name`", param=f"{where}.function")
    args = fn.get("arguments") or "{}"
    try:
        parsed = _JSON.decode(args) if isinstance(args, str) else args
    except msgspec.DecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise RequestError("tool call arguments must be a JSON object", param=f"{where}.function.arguments")
    call_id = call.get("id")
    return ToolCallIn(id=call_id if isinstance(call_id, str) else "", name=fn["name"], arguments=parsed)


def function_tools(raw: Any) -> list[FunctionTool]:  # Any: client JSON
    """The request's `tools`: only function tools with a name."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RequestError("`tools` must be an array", param="tools")
    out = []
    for i, tool in enumerate(raw):
        fn = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            raise RequestError("only function tools with a name are supported", param=f"tools[{i}]")
        parameters = fn.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise RequestError(
                "`parameters` must be a JSON Schema object", param=f"tools[{i}].function.parameters"
            )
        description = fn.get("description")
        out.append(
            FunctionTool(
                name=fn["name"],
                description=description if isinstance(description, str) else None,
                parameters=parameters,
            )
        )
    return out


def named_tool(raw: Any) -> str:  # Any: client JSON
    """The function name of a `tool_choice` object (`{"type": "function", "function": {"name": …}}`)."""
    fn = raw.get("function") if isinstance(raw, dict) else None
    name = fn.get("name") if isinstance(fn, dict) else None
    if not isinstance(name, str):
        raise RequestError(
            "`tool_choice` must be auto, none, required or a named function", param="tool_choice"
        )
    return name


def stop_sequences(raw: Any) -> list[str] | None:  # Any: client JSON
    """`stop` as a list of strings (None when absent or empty)."""
    if raw is None or raw == [] or raw == "":
        return None
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        return list(raw)
    raise RequestError("`stop` must be a string or an array of strings", param="stop")


def stream_usage_requested(body: Mapping[str, Any]) -> bool:  # Any: client JSON
    """Whether a streamed request asked for the final usage chunk (`stream_options.include_usage`)."""
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise RequestError("`stream_options` must be an object", param="stream_options")
    return bool(options.get("include_usage"))


def data_url(url: Any, param: str) -> tuple[str, str] | None:  # Any: client JSON
    """(media type, base64 data) of a `data:` URL; None for any other string; 400 for a bad one."""
    if not isinstance(url, str):
        raise RequestError("an image URL must be a string", param=param)
    if not url.startswith("data:"):
        return None
    header, sep, data = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    if not sep or encoding != "base64" or not media_type:
        raise RequestError("image data URLs must be `data:<media type>;base64,<data>`", param=param)
    return media_type, data
