"""Which OpenAI request parameters a provider can honour, and what happens to the others.

The rule, the same for every translating adapter (documented in docs/providers.md):

- a parameter the adapter translates is translated;
- a parameter whose loss would change the *shape* of the answer (``n`` > 1 where the provider returns
  one choice, ``logprobs``) is refused with a 400 that names it, whatever the route's setting;
- any other parameter the provider cannot express is, with ``strict_openai_compliance`` (the default),
  dropped and named in the ``x-gw-dropped-params`` response header; with
  ``strict_openai_compliance: false`` it is passed through verbatim into the provider's request body,
  which is how provider-specific fields (``top_k``, ``thinking``, ``safetySettings``…) reach the provider.

Nothing is silently mangled: every parameter is translated, refused, dropped-and-reported or passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec

from gateway.errors import RequestError

__all__ = ["DROPPED_HEADER", "ParamPlan", "plan_params"]

DROPPED_HEADER = "x-gw-dropped-params"
"""Response header listing the request parameters an adapter dropped (comma-separated, sorted)."""

Refusal = Callable[[Any], str | None]  # Any: a JSON value from the request body
"""Returns why a parameter value cannot be honoured, or None when it can."""


class ParamPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The fate of every parameter of one request that the adapter does not translate itself."""

    passthrough: tuple[tuple[str, Any], ...] = ()  # Any: JSON values copied to the provider body
    """Parameters copied verbatim into the provider's request (non-strict routes only)."""
    dropped: tuple[str, ...] = ()
    """Parameters removed (strict routes), reported in the `x-gw-dropped-params` header."""

    def dropping(self, names: Iterable[str]) -> ParamPlan:
        """This plan with `names` added to the dropped parameters (kept sorted and unique)."""
        extra = set(names) - set(self.dropped)
        if not extra:
            return self
        return msgspec.structs.replace(self, dropped=tuple(sorted({*self.dropped, *extra})))

    def headers(self) -> dict[str, str]:
        """Return the response header naming the dropped parameters, if any."""
        return {DROPPED_HEADER: ",".join(self.dropped)} if self.dropped else {}


def plan_params(
    body: Mapping[str, Any],  # Any: OpenAI request JSON
    *,
    provider: str,
    translated: Iterable[str],
    refused: Mapping[str, Refusal] | None = None,
    strict: bool,
) -> ParamPlan:
    """Refuse shape-changing parameters, then drop (strict) or pass through (lenient) the untranslated."""
    for name, why in (refused or {}).items():
        if name in body and body[name] is not None:
            reason = why(body[name])
            if reason is not None:
                raise RequestError(f"{provider} cannot honour `{name}`: {reason}", param=name)
    known = set(translated)
    rest = sorted(k for k in body if k not in known and body[k] is not None)
    if strict:
        return ParamPlan(dropped=tuple(rest))
    return ParamPlan(passthrough=tuple((k, body[k]) for k in rest))
