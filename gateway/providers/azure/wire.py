"""Azure OpenAI specifics on top of OpenAI's JSON: URL layout, API version and Azure-only fields.

Azure speaks OpenAI's request and response format; it adds content-filter annotations
(`prompt_filter_results`, `content_filter_results`) and, when streaming, a first chunk with no choices
that carries only the prompt's filter results.
"""

from __future__ import annotations

__all__ = ["AZURE_ONLY_CHOICE_FIELDS", "AZURE_ONLY_FIELDS", "DEFAULT_API_VERSION", "SURFACED_HEADERS"]

DEFAULT_API_VERSION = "2024-10-21"
"""GA `api-version` used when the provider spec gives none."""

AZURE_ONLY_FIELDS = ("prompt_filter_results",)
"""Top-level response members OpenAI does not have (removed on strict routes)."""

AZURE_ONLY_CHOICE_FIELDS = ("content_filter_results",)
"""Per-choice response members OpenAI does not have (removed on strict routes)."""

SURFACED_HEADERS = (
    "retry-after",
    "x-ms-retry-after-ms",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "apim-request-id",
    "x-request-id",
    "x-ms-region",
)
