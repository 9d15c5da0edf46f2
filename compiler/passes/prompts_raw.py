"""Raw structs of `prompt` manifests (one field per key of `schemas/prompt.schema.json`)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = ["PARTIAL_SUFFIXES", "RawPrompt", "RawPromptMessage"]

PARTIAL_SUFFIXES = (".j2", ".jinja", ".jinja2")
"""Files read as prompt partials (template text, not YAML)."""


class RawPromptMessage(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One message of a prompt manifest."""

    role: Literal["system", "developer", "user", "assistant"]
    content: str


class RawPrompt(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A `prompt` manifest."""

    kind: Literal["prompt"]
    id: str
    version: str
    description: str = ""
    route: str
    params: dict[str, Any] = {}  # Any: chat request parameters, typed by the schema
    variables: dict[str, dict[str, Any]] = {}  # Any: a JSON Schema per variable
    messages: tuple[RawPromptMessage, ...]
