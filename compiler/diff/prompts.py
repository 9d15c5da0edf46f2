"""Prompt changes for `gw diff`: prompts added or removed, and a changed prompt's text as a unified diff."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from compiler.diff.model import Change
from compiler.specs import CompiledGateway, PromptSpec

__all__ = ["diff_prompts", "prompt_text_diff"]


def _text(prompt: PromptSpec) -> list[str]:
    """A prompt as reviewable lines: header, messages, variables and partials."""
    lines = [f"version: {prompt.version}", f"route: {prompt.route}", f"params: {prompt.params}"]
    for var in prompt.variables:
        default = "required" if var.default is None else f"default {var.default}"
        lines.append(f"variable {var.name}: {var.schema} ({default})")
    for i, message in enumerate(prompt.messages):
        lines.append(f"--- messages[{i}] ({message.role})")
        lines += message.template.splitlines()
    for name, text in prompt.partials:
        lines.append(f"--- partial {name}")
        lines += text.splitlines()
    return lines


def prompt_text_diff(old: PromptSpec, new: PromptSpec) -> tuple[str, ...]:
    """Unified diff lines (without file headers) between two versions of a prompt; empty when equal."""
    lines = list(difflib.unified_diff(_text(old), _text(new), lineterm="", n=2))
    return tuple(lines[2:])  # the first two are the `---`/`+++` file headers


def diff_prompts(old: CompiledGateway, new: CompiledGateway) -> Iterator[Change]:
    """Prompts removed (risky: callers get 404), added, or changed (with their text diff)."""
    before = {p.id: p for p in old.prompts}
    after = {p.id: p for p in new.prompts}
    for pid in sorted(before.keys() - after.keys()):
        yield Change(
            kind="prompt_removed",
            subject=f"prompt {pid}",
            message="prompt removed (clients that call it get 404)",
            risky=True,
        )
    for pid in sorted(after.keys() - before.keys()):
        yield Change(kind="prompt_added", subject=f"prompt {pid}", message="prompt added")
    for pid in sorted(before.keys() & after.keys()):
        a, b = before[pid], after[pid]
        details = prompt_text_diff(a, b)
        if not details:
            continue
        version = f"version {a.version} → {b.version}" if a.version != b.version else "same version label"
        route = f"; route {a.route} → {b.route}" if a.route != b.route else ""
        yield Change(
            kind="prompt_changed",
            subject=f"prompt {pid}",
            message=f"prompt text changed ({version}{route})",
            details=details,
        )
