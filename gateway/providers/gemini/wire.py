"""Gemini API JSON (generativelanguage.googleapis.com `v1beta`), as msgspec structs with camelCase names.

A `Part` is a union on the wire (exactly one of text, inlineData, fileData, functionCall,
functionResponse); it is one struct with optional members so that parts Google adds later decode.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "BatchEmbedRequest",
    "BatchEmbedResponse",
    "Blob",
    "Candidate",
    "Content",
    "EmbedRequest",
    "ErrorBody",
    "ErrorDetail",
    "FileData",
    "FunctionCall",
    "FunctionCallingConfig",
    "FunctionDeclaration",
    "FunctionResponse",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "GenerationConfig",
    "Part",
    "PromptFeedback",
    "ThinkingConfig",
    "Tool",
    "ToolConfig",
    "UsageMetadata",
]


class _Wire(msgspec.Struct, kw_only=True, omit_defaults=True, rename="camel"):
    """Base: camelCase on the wire, absent members omitted."""


class Blob(_Wire):
    """Inline bytes (base64)."""

    mime_type: str
    data: str


class FileData(_Wire):
    """A file by URI (Gemini Files API or Cloud Storage)."""

    file_uri: str
    mime_type: str | None = None


class FunctionCall(_Wire):
    """The model calling a function."""

    name: str
    args: dict[str, Any] | None = None  # Any: arguments JSON
    id: str | None = None


class FunctionResponse(_Wire):
    """A function's result sent back to the model."""

    name: str
    response: dict[str, Any]  # Any: result JSON (must be an object)
    id: str | None = None


class Part(_Wire):
    """One part of a turn: exactly one member is set."""

    text: str | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    thought: bool | None = None


class Content(_Wire):
    """A turn: role `user` or `model` (absent for systemInstruction)."""

    parts: list[Part]
    role: str | None = None


class FunctionDeclaration(_Wire):
    """A callable function and its parameter schema."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None  # Any: JSON Schema


class Tool(_Wire):
    """A set of function declarations."""

    function_declarations: list[FunctionDeclaration]


class FunctionCallingConfig(_Wire):
    """`AUTO`, `ANY` (with optional allowed names) or `NONE`."""

    mode: str
    allowed_function_names: list[str] | None = None


class ToolConfig(_Wire):
    """How the model may call functions."""

    function_calling_config: FunctionCallingConfig


class ThinkingConfig(_Wire):
    """Thinking budget of 2.5-series models (0 turns thinking off where the model allows it)."""

    thinking_budget: int | None = None
    include_thoughts: bool | None = None


class GenerationConfig(_Wire):
    """Sampling and output controls."""

    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    stop_sequences: list[str] | None = None
    candidate_count: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    response_mime_type: str | None = None
    response_json_schema: dict[str, Any] | None = None  # Any: JSON Schema
    thinking_config: ThinkingConfig | None = None


class GenerateContentRequest(_Wire):
    """Body of `models/{model}:generateContent` and `:streamGenerateContent`."""

    contents: list[Content]
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None
    generation_config: GenerationConfig | None = None


class UsageMetadata(_Wire):
    """Token counts: `promptTokenCount` includes cached ones; thoughts are counted apart from candidates."""

    prompt_token_count: int = 0
    candidates_token_count: int = 0
    thoughts_token_count: int = 0
    cached_content_token_count: int = 0
    tool_use_prompt_token_count: int = 0
    total_token_count: int = 0


class Candidate(_Wire):
    """One generated answer."""

    content: Content | None = None
    finish_reason: str | None = None
    index: int = 0


class PromptFeedback(_Wire):
    """Why the prompt itself was blocked, if it was."""

    block_reason: str | None = None


class GenerateContentResponse(_Wire):
    """A complete response, or one chunk of a stream."""

    candidates: list[Candidate] = msgspec.field(default_factory=list)
    usage_metadata: UsageMetadata | None = None
    prompt_feedback: PromptFeedback | None = None
    model_version: str | None = None
    response_id: str | None = None
    error: ErrorDetail | None = None
    """Set when an error arrives inside a stream."""


class EmbedRequest(_Wire):
    """One item of `batchEmbedContents`."""

    model: str
    content: Content
    output_dimensionality: int | None = None


class BatchEmbedRequest(_Wire):
    """Body of `models/{model}:batchEmbedContents`."""

    requests: list[EmbedRequest]


class _Embedding(_Wire):
    values: list[float]


class BatchEmbedResponse(_Wire):
    """Embeddings in request order."""

    embeddings: list[_Embedding]


class ErrorDetail(_Wire):
    """Google's `error` member: HTTP code, message and canonical status name."""

    code: int = 0
    message: str = ""
    status: str = ""


class ErrorBody(_Wire):
    """`{"error": {"code", "message", "status", "details"}}`."""

    error: ErrorDetail = msgspec.field(default_factory=ErrorDetail)
