"""OpenAI and every OpenAI-compatible vendor: wire parsing, translation and HTTP calls."""

from __future__ import annotations

from gateway.providers.openai.adapter import OpenAIAdapter, OpenAIStream

__all__ = ["OpenAIAdapter", "OpenAIStream"]
