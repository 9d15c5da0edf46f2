"""Limits on guardrail checks that arrive in an `x-portkey-config` header (client input, not operator).

- `webhook`: the gateway would call any URL a client names (SSRF), so the URL's host must be listed
  in the policy's `allowed_custom_hosts` (names, IPs or CIDRs), and header values may not read the
  gateway's environment (`{"env": …}`), which would send server secrets to that URL (`GW-E0608`).
- regular expressions (`regexMatch`'s `rule`, and every regex parameter): at most
  `MAX_HEADER_PATTERN` characters, and no quantified group that itself contains an unbounded
  quantifier (`(a+)+`, `(\\w*)*`, `(x+y?){2,}`), the shape of catastrophic backtracking (`GW-E0609`).
  Python's `re` has no match timeout, so a header must not be able to stall a worker.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from compiler.diagnostics import Diagnostic
from compiler.document import Document
from compiler.hosts import host_allowed
from compiler.passes.guardrails import python_regex, regex_params
from compiler.pointer import join

__all__ = ["MAX_HEADER_PATTERN", "check_header_check", "nested_quantifier"]

MAX_HEADER_PATTERN = 512
"""Longest regular expression a header config may carry."""

_ALLOW_HINT = "an operator can allow the host in the policy's `allowed_custom_hosts`"


def _parser() -> Any:  # Any: the stdlib's private regex parser (`re._parser`), untyped in typeshed
    return importlib.import_module("re._parser")


def _repeats(items: Iterable[Any], sre: Any) -> list[tuple[int, int, Any]]:  # Any: parser nodes
    """Every repeat node `(min, max, body)` directly or indirectly inside `items`."""
    found: list[tuple[int, int, Any]] = []
    repeat_ops = {sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)}
    for op, av in items:
        if op in repeat_ops:
            low, high, body = av
            found.append((low, high, body))
            continue
        for part in av if isinstance(av, tuple | list) else ():
            if isinstance(part, sre.SubPattern):
                found += _repeats(part, sre)
            elif isinstance(part, list):
                for branch in part:
                    if isinstance(branch, sre.SubPattern):
                        found += _repeats(branch, sre)
    return found


def nested_quantifier(pattern: str) -> bool:
    """Tell whether a repeated group contains another repeat with no upper bound (or vice versa)."""
    sre = _parser()
    try:
        parsed = sre.parse(python_regex(pattern))
    except (re.error, RecursionError, OverflowError):
        return False  # reported by the compile check
    unbounded = sre.MAXREPEAT
    pending = list(_repeats(parsed, sre))
    while pending:
        _low, high, body = pending.pop()
        inner = _repeats(body, sre)
        if high > 1 and any(h > 1 and unbounded in (h, high) for _l, h, _b in inner):
            return True
        pending += inner
    return False


def _regex_problems(doc: Document, pointer: str, params: dict[str, Any]) -> list[Diagnostic]:  # Any: JSON
    diags: list[Diagnostic] = []
    for where, pattern in regex_params(pointer, params):
        if len(pattern) > MAX_HEADER_PATTERN:
            msg = f"regular expression is {len(pattern)} characters; a header allows {MAX_HEADER_PATTERN}"
            diags.append(doc.diag("GW-E0609", where, msg, hint="define the guardrail in a manifest"))
        elif nested_quantifier(pattern):
            msg = "regular expression nests unbounded quantifiers (catastrophic backtracking)"
            hint = "rewrite without a repeated group that contains `+`, `*` or `{n,}`"
            diags.append(doc.diag("GW-E0609", where, msg, hint=hint))
    return diags


def _webhook_problems(
    doc: Document, pointer: str, params: dict[str, Any], allowed: tuple[str, ...]
) -> list[Diagnostic]:  # Any: JSON
    diags: list[Diagnostic] = []
    url = params.get("webhookURL")
    if isinstance(url, str):
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            host = ""
        if not host or not host_allowed(host, allowed):
            shown = f"`{host}`" if host else "the url"
            msg = f"webhook refused: {shown} is not an allowed host for header configs"
            diags.append(doc.diag("GW-E0608", join(pointer, "webhookURL"), msg, hint=_ALLOW_HINT))
    headers = params.get("headers")
    if isinstance(headers, dict):
        for name, value in headers.items():
            if isinstance(value, dict) and "env" in value:
                msg = "webhook header values in a header config cannot read the gateway's environment"
                diags.append(doc.diag("GW-E0608", join(pointer, "headers", name), msg))
    return diags


def check_header_check(
    doc: Document, pointer: str, check_type: str, params: dict[str, Any], allowed_hosts: tuple[str, ...]
) -> list[Diagnostic]:  # Any: check parameters (JSON)
    """Diagnostics for a header-sourced check: `pointer` locates its parameters."""
    diags = _regex_problems(doc, pointer, params)
    if check_type == "webhook":
        diags += _webhook_problems(doc, pointer, params, allowed_hosts)
    return diags
