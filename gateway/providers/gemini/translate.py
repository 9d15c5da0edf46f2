"""Pure translation of OpenAI chat requests into Gemini `generateContent` bodies.

Requests: system/developer messages become `systemInstruction`; roles map to `user`/`model`; tool calls
become `functionCall` parts and tool results `functionResponse` parts (Gemini matches them by function
name, which is recovered from the assistant turn that made the call); consecutive same-role turns are
merged; images are inline base64 (`data:` URLs) or Google file URIs — gw does not fetch http URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from gateway.errors import RequestError
from gateway.providers.chat_request import data_url, function_tools, named_tool, stop_sequences, tool_calls
from gateway.providers.compliance import ParamPlan, plan_params
from gateway.providers.extras import nested_anthropic_extras
from gateway.providers.gemini.wire import (
    BatchEmbedRequest,
    Blob,
    Content,
    EmbedRequest,
    FileData,
    FunctionCall,
    FunctionCallingConfig,
    FunctionDeclaration,
    FunctionResponse,
    GenerateContentRequest,
    GenerationConfig,
    Part,
    ThinkingConfig,
    Tool,
    ToolConfig,
)

__all__ = ["THINKING_BUDGETS", "build_embed_request", "build_request", "model_path"]

_TRANSLATED = [
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "n",
    "presence_penalty", "frequency_penalty", "seed", "response_format", "tools", "tool_choice",
    "stream", "stream_options", "logprobs", "top_logprobs", "reasoning_effort",
]  # fmt: skip
_REFUSED = {
    "logprobs": lambda v: None if v is False else "gw does not translate Gemini log probabilities",
    "top_logprobs": lambda v: None if not v else "gw does not translate Gemini log probabilities",
}
_FILE_URI_PREFIXES = ("gs://", "https://generativelanguage.googleapis.com/")
_JSON = msgspec.json.Decoder()


def build_request(
    body: Mapping[str, Any], *, strict: bool
) -> tuple[dict[str, Any], ParamPlan]:  # Any: OpenAI / Gemini JSON
    """Translate an OpenAI chat request into a `generateContent` body and the parameter plan."""
    plan = plan_params(body, provider="gemini", translated=_TRANSLATED, refused=_REFUSED, strict=strict)
    plan = plan.dropping(nested_anthropic_extras(body))  # never translated: named, not silent
    system, contents = _contents(body.get("messages"))
    tools = _tools(body.get("tools"))
    request = GenerateContentRequest(
        contents=contents,
        system_instruction=Content(parts=system) if system else None,
        tools=tools,
        tool_config=_tool_config(body.get("tool_choice")),
        generation_config=_generation_config(body, strict),
    )
    out: dict[str, Any] = msgspec.to_builtins(request)
    out.update(plan.passthrough)
    return out, plan


THINKING_BUDGETS: Mapping[str, int] = {"none": 0, "minimal": 0, "low": 1024, "medium": 8192, "high": 24576}
"""OpenAI `reasoning_effort` → Gemini `thinkingBudget` (the mapping Google's OpenAI compatibility uses)."""


def _thinking(effort: Any, strict: bool) -> ThinkingConfig | None:  # Any: client JSON
    if effort is None:
        return None
    if effort not in THINKING_BUDGETS:
        allowed = ", ".join(THINKING_BUDGETS)
        raise RequestError(f"`reasoning_effort` must be one of {allowed}", param="reasoning_effort")
    budget = THINKING_BUDGETS[effort]
    # Thoughts are only shown on lenient routes (as reasoning_content), so only asked for there.
    return ThinkingConfig(thinking_budget=budget, include_thoughts=True if budget and not strict else None)


def _generation_config(body: Mapping[str, Any], strict: bool) -> GenerationConfig | None:  # Any: JSON
    mime, schema = _response_format(body.get("response_format"))
    config = GenerationConfig(
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        max_output_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
        stop_sequences=stop_sequences(body.get("stop")),
        candidate_count=body.get("n"),
        presence_penalty=body.get("presence_penalty"),
        frequency_penalty=body.get("frequency_penalty"),
        seed=body.get("seed"),
        response_mime_type=mime,
        response_json_schema=schema,
        thinking_config=_thinking(body.get("reasoning_effort"), strict),
    )
    return config if config != GenerationConfig() else None


def _response_format(raw: Any) -> tuple[str | None, dict[str, Any] | None]:  # Any: OpenAI JSON
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind in (None, "text"):
        return None, None
    if kind == "json_object":
        return "application/json", None
    if kind == "json_schema":
        spec = raw.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return "application/json", schema if isinstance(schema, dict) else None
    raise RequestError(f"unsupported response_format type {kind!r}", param="response_format.type")


def _contents(raw: Any) -> tuple[list[Part], list[Content]]:  # Any: client JSON
    if not isinstance(raw, list) or not raw:
        raise RequestError("`messages` must be a non-empty array", param="messages")
    system: list[Part] = []
    contents: list[Content] = []
    names: dict[str, str] = {}
    """tool_call_id → function name, from the latest assistant turn that made the call."""
    for i, msg in enumerate(raw):
        role = msg.get("role") if isinstance(msg, dict) else None
        where = f"messages[{i}]"
        if role in ("system", "developer"):
            system.extend(_parts(msg.get("content"), where))
            continue
        parts, wire_role = _turn(msg, role, where, names)
        if not parts:
            continue
        if contents and contents[-1].role == wire_role:
            contents[-1].parts.extend(parts)
        else:
            contents.append(Content(role=wire_role, parts=parts))
    return system, contents


def _turn(
    msg: dict[str, Any], role: Any, where: str, names: dict[str, str]
) -> tuple[list[Part], str]:  # Any: JSON
    if role == "user":
        return _parts(msg.get("content"), where), "user"
    if role == "assistant":
        parts = _parts(msg.get("content"), where)
        for call in tool_calls(msg, where):
            names[call.id] = call.name
            parts.append(Part(function_call=FunctionCall(name=call.name, args=call.arguments)))
        return parts, "model"
    if role == "tool":
        call_id = msg.get("tool_call_id")
        if not isinstance(call_id, str) or call_id not in names:
            raise RequestError(
                "a tool message must answer a tool call of an earlier assistant message",
                param=f"{where}.tool_call_id",
            )
        response = _tool_result(msg.get("content"))
        return [Part(function_response=FunctionResponse(name=names[call_id], response=response))], "user"
    raise RequestError(f"unsupported message role {role!r} for gemini", param=f"{where}.role")


def _tool_result(content: Any) -> dict[str, Any]:  # Any: JSON
    if isinstance(content, list):
        text = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    else:
        text = content if isinstance(content, str) else ""
    try:
        parsed = _JSON.decode(text)
    except msgspec.DecodeError:
        parsed = None
    # Gemini needs an object; a JSON object result is sent as is, anything else wrapped.
    return parsed if isinstance(parsed, dict) else {"content": text}


def _parts(content: Any, where: str) -> list[Part]:  # Any: client JSON
    if content is None:
        return []
    if isinstance(content, str):
        return [Part(text=content)] if content else []
    out: list[Part] = []
    if not isinstance(content, list):
        raise RequestError("`content` must be a string or an array of parts", param=f"{where}.content")
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("text", "refusal"):
            text = part.get("text") or part.get("refusal") or ""
            if text:
                out.append(Part(text=text))
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else None
            out.append(_image(url, f"{where}.content[{j}].image_url.url"))
        else:
            raise RequestError(f"unsupported content part {kind!r} for gemini", param=f"{where}.content[{j}]")
    return out


def _image(url: Any, param: str) -> Part:  # Any: client JSON
    inline = data_url(url, param)
    if inline is not None:
        return Part(inline_data=Blob(mime_type=inline[0], data=inline[1]))
    if isinstance(url, str) and url.startswith(_FILE_URI_PREFIXES):
        return Part(file_data=FileData(file_uri=url))
    raise RequestError(
        "gemini takes images inline (base64 data URLs) or as Google file URIs; gw does not fetch http URLs",
        param=param,
    )


def _tools(raw: Any) -> list[Tool] | None:  # Any: client JSON
    declarations = [
        FunctionDeclaration(name=t.name, description=t.description, parameters=t.parameters)
        for t in function_tools(raw)
    ]
    return [Tool(function_declarations=declarations)] if declarations else None


def _tool_config(raw: Any) -> ToolConfig | None:  # Any: client JSON
    if raw is None:
        return None
    modes = {"auto": "AUTO", "required": "ANY", "none": "NONE"}
    if isinstance(raw, str) and raw in modes:
        return ToolConfig(function_calling_config=FunctionCallingConfig(mode=modes[raw]))
    name = named_tool(raw)
    config = FunctionCallingConfig(mode="ANY", allowed_function_names=[name])
    return ToolConfig(function_calling_config=config)


def model_path(model: Any) -> str:  # Any: client JSON
    """Return the resource name of a model: `models/<id>` (a `tunedModels/…` name is kept)."""
    if not isinstance(model, str) or not model:
        raise RequestError("`model` is required", param="model")
    return model if "/" in model else f"models/{model}"


def build_embed_request(body: Mapping[str, Any], inputs: list[str]) -> dict[str, Any]:  # Any: JSON
    """Translate an OpenAI embeddings request into a `batchEmbedContents` body."""
    model = model_path(body.get("model"))
    dimensions = body.get("dimensions")
    request = BatchEmbedRequest(
        requests=[
            EmbedRequest(
                model=model, content=Content(parts=[Part(text=text)]), output_dimensionality=dimensions
            )
            for text in inputs
        ]
    )
    out: dict[str, Any] = msgspec.to_builtins(request)
    return out
