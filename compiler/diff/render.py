"""Render a semantic diff as a PR comment (markdown), plain text or JSON."""

from __future__ import annotations

from typing import Literal

import msgspec

from compiler.diff.model import DiffResult

__all__ = ["render"]

Format = Literal["markdown", "text", "json"]


def _markdown(result: DiffResult) -> str:
    lines = [f"### gw diff `{result.old_hash[:19]}` → `{result.new_hash[:19]}`", ""]
    if not result.changes:
        return "\n".join([*lines, "No semantic change: the configs compile to the same gateway."])
    risky = result.risky
    lines.append(
        f"**{len(risky)} risky change{'s' if len(risky) != 1 else ''}** out of {len(result.changes)}."
        if risky
        else f"No risky changes ({len(result.changes)} in all)."
    )
    lines += ["", "| risk | where | change |", "|---|---|---|"]
    for change in sorted(result.changes, key=lambda c: not c.risky):
        mark = "⚠️ risky" if change.risky else ""
        text = change.message.replace("|", "\\|")
        if change.details:
            text += "<br>" + "<br>".join(d.replace("|", "\\|") for d in change.details)
        lines.append(f"| {mark} | `{change.subject}` | {text} |")
    return "\n".join(lines)


def _text(result: DiffResult) -> str:
    lines: list[str] = []
    for change in sorted(result.changes, key=lambda c: not c.risky):
        lines.append(f"{'RISK' if change.risky else '    '}  {change.subject}: {change.message}")
        lines += [f"        {d}" for d in change.details]
    risky = len(result.risky)
    lines.append(
        f"gw diff: {len(result.changes)} changes, {risky} risky ({result.old_hash} → {result.new_hash})"
    )
    return "\n".join(lines)


def render(result: DiffResult, fmt: Format = "markdown") -> str:
    """Render as `markdown`, `text` or `json`."""
    if fmt == "json":
        body = {**msgspec.to_builtins(result), "risky": len(result.risky)}
        return msgspec.json.encode(body).decode()
    return _markdown(result) if fmt == "markdown" else _text(result)
