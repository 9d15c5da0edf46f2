"""Anthropic-only details an OpenAI-shaped request carries inside its messages and tools.

`cache_control` on text, image, tool-result parts and tools, and `thinking_blocks` on assistant
messages (LiteLLM's field for Anthropic's signed thinking) have no OpenAI meaning. They follow the
parameter rule of `gateway.providers.compliance`, applied where they sit: a lenient route forwards them
to Anthropic, a strict one drops them and names them in `x-gw-dropped-params`.
"""

from __future__ import annotations

from typing import Any

from gateway.providers.compliance import ParamPlan

__all__ = ["NestedHints"]


class NestedHints:
    """Collects the fate of the nested Anthropic-only fields of one request."""

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self.dropped: set[str] = set()
        """Names of the nested fields dropped (strict routes only)."""

    def keep(self, name: str, value: Any) -> Any:  # Any: a JSON value from the request
        """Return `value` when it may be forwarded; on a strict route record `name` and return None."""
        if value is None:
            return None
        if self.strict:
            self.dropped.add(name)
            return None
        return value

    def merged(self, plan: ParamPlan) -> ParamPlan:
        """The parameter plan with the dropped nested fields added to the dropped top-level ones."""
        return plan.dropping(self.dropped)
