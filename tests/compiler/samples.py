"""Shared inputs for compiler property tests: the example configs and a Portkey header config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compiler.loader import load_schemas

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = load_schemas(REPO / "schemas")


def config_files() -> dict[str, str]:
    """The example configs, keyed by repository-relative path."""
    return {
        p.relative_to(REPO).as_posix(): p.read_text("utf-8")
        for p in sorted((REPO / "configs").rglob("*.yaml"))
    }


PORTKEY_EXAMPLE: dict[str, Any] = {  # Any: JSON
    "strategy": {
        "mode": "conditional",
        "conditions": [
            {"query": {"metadata.user_plan": {"$eq": "paid"}}, "then": "smart"},
            {
                "query": {"$or": [{"params.model": "fastest"}, {"params.temperature": {"$gt": 0.7}}]},
                "then": "fast",
            },
        ],
        "default": "fast",
    },
    "targets": [
        {
            "name": "smart",
            "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503, 504, 446]},
            "targets": [
                {
                    "provider": "openai",
                    "api_key": "sk-test-openai-0001",
                    "override_params": {"model": "gpt-4o"},
                    "retry": {"attempts": 3, "use_retry_after_header": True},
                    "request_timeout": 30000,
                },
                {
                    "provider": "anthropic",
                    "api_key": "sk-ant-test-0002",
                    "override_params": {"model": "claude-3-5-sonnet-latest"},
                },
            ],
        },
        {
            "name": "fast",
            "strategy": {"mode": "loadbalance"},
            "targets": [
                {"provider": "groq", "api_key": "gsk-test-0003", "weight": 0.7},
                {"provider": "ollama", "custom_host": "http://ollama.lan:11434", "weight": 0.3},
            ],
        },
    ],
    "cache": {"mode": "simple", "max_age": 3600},
    "output_guardrails": [{"default.contains": {"operator": "none", "words": ["Apple"]}, "deny": True}],
}
"""Portkey's conditional-routing example (portkey-compat.md §1.3.4), keys made up."""
