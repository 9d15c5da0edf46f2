"""Ollama native API JSON (`/api/chat`, `/api/embed`), as msgspec structs."""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "EmbedRequest",
    "EmbedResponse",
    "ErrorBody",
    "Message",
    "Options",
    "ToolCall",
    "ToolFunction",
]


class ToolFunction(msgspec.Struct, kw_only=True):
    """A function call: arguments are a JSON object, not a string as in OpenAI."""

    name: str
    arguments: dict[str, Any] = msgspec.field(default_factory=dict)  # Any: arguments JSON


class ToolCall(msgspec.Struct, kw_only=True):
    """A tool call made by the model."""

    function: ToolFunction


class Message(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A chat message; images are bare base64 strings."""

    role: str
    content: str = ""
    images: list[str] | None = None
    tool_calls: list[ToolCall] | None = None
    tool_name: str | None = None
    thinking: str | None = None


class Options(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Model options (Ollama's names for the sampling parameters)."""

    temperature: float | None = None
    top_p: float | None = None
    num_predict: int | None = None
    stop: list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None


class ChatRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Body of `POST /api/chat`; `stream` defaults to true on Ollama's side, so it is always sent."""

    model: str
    messages: list[Message]
    stream: bool
    tools: list[dict[str, Any]] | None = None  # Any: OpenAI-format function tools, as Ollama takes them
    format: str | dict[str, Any] | None = None  # Any: "json" or a JSON Schema
    options: Options | None = None


class ChatResponse(msgspec.Struct, kw_only=True):
    """A complete answer, or one NDJSON line of a stream (the last has `done: true` and the counts)."""

    model: str = ""
    created_at: str = ""
    message: Message | None = None
    done: bool = False
    done_reason: str | None = None
    prompt_eval_count: int = 0
    eval_count: int = 0
    error: str | None = None
    """Set on an error line inside a stream."""


class EmbedRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Body of `POST /api/embed`."""

    model: str
    input: list[str]
    dimensions: int | None = None


class EmbedResponse(msgspec.Struct, kw_only=True):
    """Embeddings in input order, with the prompt token count."""

    embeddings: list[list[float]]
    model: str = ""
    prompt_eval_count: int = 0


class ErrorBody(msgspec.Struct, kw_only=True):
    """`{"error": "<message>"}`."""

    error: str = ""
