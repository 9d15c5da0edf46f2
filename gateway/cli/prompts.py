"""`gw explain PROMPT [--vars vars.json]`: a prompt's declaration and its messages rendered as the
gateway would render them (same sandbox, same variable checks), without calling a model."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.cli.validate import EXIT_ERRORS, EXIT_OK, EXIT_USAGE_ERR

if TYPE_CHECKING:
    from compiler.specs import CompiledGateway, PromptSpec

__all__ = ["explain_prompt", "run_prompt"]


def _read_vars(path: str | None) -> tuple[Any, str | None]:  # Any: JSON
    if path is None:
        return {}, None
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
        return json.loads(text), None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return None, f"cannot read --vars {path}: {reason}"


def explain_prompt(prompt: PromptSpec, content_hash: str) -> str:
    """A prompt's declaration: version, route, params, variables and partials, with its source."""
    lines = [f"prompt {prompt.id} {prompt.version}  ({prompt.source})  {content_hash}"]
    if prompt.description:
        lines.append(f"  {prompt.description}")
    lines.append(f"  route: {prompt.route}")
    lines.append(f"  params: {prompt.params}")
    for var in prompt.variables:
        default = "required" if var.default is None else f"default {var.default}"
        lines.append(f"  variable {var.name}: {var.schema} ({default})")
    for name, _text in prompt.partials:
        lines.append(f"  partial {name}")
    return "\n".join(lines)


def run_prompt(args: argparse.Namespace, gateway: CompiledGateway, prompt_id: str) -> int:
    """Print a prompt and its rendered messages (exit 1 when the variables do not render)."""
    from gateway.errors import GatewayError
    from gateway.runtime.prompts import PromptBook

    variables, problem = _read_vars(getattr(args, "vars", None))
    if problem is not None:
        sys.stderr.write(f"gw: {problem}\n")
        return EXIT_USAGE_ERR
    book = PromptBook(gateway)
    try:
        prompt = book.get(prompt_id).spec
    except GatewayError as exc:
        sys.stderr.write(f"gw: {exc.message}\n")
        return EXIT_USAGE_ERR
    sys.stdout.write(explain_prompt(prompt, gateway.content_hash) + "\n")
    try:
        rendered = book.render(prompt_id, variables)
    except GatewayError as exc:
        where = f" ({exc.param})" if exc.param else ""
        sys.stdout.write(f"  not rendered: {exc.message}{where}\n")
        return EXIT_ERRORS
    out = []
    for i, message in enumerate(rendered.messages):
        out.append(f"  messages[{i}] {message['role']}:")
        out += [f"    │ {line}" for line in message["content"].splitlines() or [""]]
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK
