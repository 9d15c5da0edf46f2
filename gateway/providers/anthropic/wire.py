"""Anthropic Messages API JSON (`POST /v1/messages`), as msgspec structs.

Request blocks are tagged by `type` as on the wire. Response blocks decode into one lenient struct so a
block type Anthropic adds later (server tools, citations…) is carried, not a decode error.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "ANTHROPIC_VERSION",
    "Base64Source",
    "ErrorBody",
    "ErrorDetail",
    "ImageBlock",
    "Message",
    "MessagesRequest",
    "MessagesResponse",
    "RedactedThinkingBlock",
    "ResponseBlock",
    "TextBlock",
    "ThinkingBlock",
    "TokenCount",
    "Tool",
    "ToolChoice",
    "ToolResultBlock",
    "ToolUseBlock",
    "UrlSource",
    "WireUsage",
]

ANTHROPIC_VERSION = "2023-06-01"
"""Default `anthropic-version` header (the provider's `api_version` overrides it)."""


class Base64Source(msgspec.Struct, tag="base64", tag_field="type", kw_only=True):
    """Inline image bytes."""

    media_type: str
    data: str


class UrlSource(msgspec.Struct, tag="url", tag_field="type", kw_only=True):
    """An image Anthropic fetches itself."""

    url: str


class TextBlock(msgspec.Struct, tag="text", tag_field="type", kw_only=True, omit_defaults=True):
    """Plain text content."""

    text: str
    cache_control: dict[str, Any] | None = None  # Any: passed through from the client


class ImageBlock(msgspec.Struct, tag="image", tag_field="type", kw_only=True, omit_defaults=True):
    """An image, inline or by URL."""

    source: Base64Source | UrlSource
    cache_control: dict[str, Any] | None = None  # Any: passed through from the client


class ToolUseBlock(msgspec.Struct, tag="tool_use", tag_field="type", kw_only=True):
    """The model calling a tool (in an assistant turn)."""

    id: str
    name: str
    input: dict[str, Any]  # Any: tool arguments JSON


class ToolResultBlock(msgspec.Struct, tag="tool_result", tag_field="type", kw_only=True, omit_defaults=True):
    """A tool's answer (in a user turn), matched to its call by `tool_use_id`."""

    tool_use_id: str
    content: str | list[TextBlock | ImageBlock] = ""
    is_error: bool = False
    cache_control: dict[str, Any] | None = None  # Any: passed through from the client


class ThinkingBlock(msgspec.Struct, tag="thinking", tag_field="type", kw_only=True):
    """The model's extended thinking, sent back unchanged in the next turn (the signature proves it)."""

    thinking: str
    signature: str


class RedactedThinkingBlock(msgspec.Struct, tag="redacted_thinking", tag_field="type", kw_only=True):
    """Thinking Anthropic encrypted; only the opaque `data` travels, and it must come back as is."""

    data: str


RequestBlock = TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock | RedactedThinkingBlock


class Message(msgspec.Struct, kw_only=True):
    """One turn; roles must alternate user/assistant."""

    role: str
    content: list[RequestBlock]


class Tool(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A client tool the model may call."""

    name: str
    input_schema: dict[str, Any]  # Any: JSON Schema
    description: str | None = None
    cache_control: dict[str, Any] | None = None  # Any: passed through from the client


class ToolChoice(msgspec.Struct, kw_only=True, omit_defaults=True):
    """`auto`, `any`, `none` or `tool` (with `name`)."""

    type: str
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class MessagesRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Body of `POST /v1/messages`."""

    model: str
    messages: list[Message]
    max_tokens: int
    system: list[TextBlock] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: list[str] | None = None
    stream: bool | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    metadata: dict[str, str] | None = None


class ResponseBlock(msgspec.Struct, kw_only=True):
    """A content block of a response; fields beyond `type` depend on it."""

    type: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: dict[str, Any] | None = None  # Any: tool arguments JSON
    thinking: str | None = None
    signature: str | None = None
    data: str | None = None
    """The opaque payload of a `redacted_thinking` block."""


class WireUsage(msgspec.Struct, kw_only=True):
    """Anthropic usage: `input_tokens` excludes cache reads and cache writes."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class MessagesResponse(msgspec.Struct, kw_only=True):
    """A complete `message` object."""

    id: str
    model: str
    content: list[ResponseBlock]
    role: str = "assistant"
    type: str = "message"
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: WireUsage = msgspec.field(default_factory=WireUsage)


class TokenCount(msgspec.Struct, kw_only=True):
    """Answer of `POST /v1/messages/count_tokens`."""

    input_tokens: int


class ErrorDetail(msgspec.Struct, kw_only=True):
    """`error` member of an error body."""

    type: str = "api_error"
    message: str = ""


class ErrorBody(msgspec.Struct, kw_only=True):
    """`{"type": "error", "error": {"type": …, "message": …}}`."""

    error: ErrorDetail = msgspec.field(default_factory=ErrorDetail)
    type: str = "error"
