"""Prompt manifests compiled for the runtime tests."""

from __future__ import annotations

from compiler import CompiledGateway, compile_sources, format_diagnostics

BASE = """\
kind: provider
id: up
type: openai
api_key: {env: OPENAI_API_KEY}
---
kind: route
id: chat
provider: up
"""


def compiled(prompt: str, **partials: str) -> CompiledGateway:
    """Compile one prompt manifest (and partials by file name under `partials/`) with a route `chat`."""
    files = {"base.yaml": BASE, "prompt.yaml": prompt}
    files |= {f"partials/{name}": text for name, text in partials.items()}
    result = compile_sources(files)
    assert result.gateway is not None, format_diagnostics(result.diagnostics)
    return result.gateway


def prompt(messages: str, variables: str = "  text: {type: string}\n") -> str:
    """A prompt manifest `p` with these variables and messages (YAML fragments)."""
    return f"kind: prompt\nid: p\nversion: v1\nroute: chat\nvariables:\n{variables}messages:\n{messages}"
