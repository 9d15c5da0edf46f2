"""Which checks exist and which can run on a stream window: pure, stdlib only.

The compiler needs this rule to refuse a `deny` (or `redact`) output guardrail that could only act
after text was sent, unless the route sets `buffer_stream`. It may not import `gateway` (see the
import-linter contracts), so the rule is kept tiny and self-contained here and restated in
docs/guardrails.md:

- `pii` and `keywords` always run on a window (their matches are short and local);
- `contains` runs on a window when `operator` is `none` (a forbidden word appearing is local);
- `regexMatch` runs on a window when `not` is true (a forbidden match is local);
- every other check needs the whole text and runs at end of stream.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CHECK_IDS", "GW_CHECK_IDS", "PORTKEY_CHECK_IDS", "canonical_check_id", "supports_window"]

GW_CHECK_IDS = ("keywords", "pii")
"""gw's own checks."""

PORTKEY_CHECK_IDS = (
    "alllowercase",
    "alluppercase",
    "characterCount",
    "contains",
    "containsCode",
    "endsWith",
    "jsonKeys",
    "jsonSchema",
    "modelWhitelist",
    "notNull",
    "regexMatch",
    "requiredMetadataKeys",
    "sentenceCount",
    "validUrls",
    "webhook",
    "wordCount",
)
"""Portkey's `default.*` checks, same ids and parameter names."""

CHECK_IDS = tuple(sorted(GW_CHECK_IDS + PORTKEY_CHECK_IDS))

_ALIASES = {"modelwhitelist": "modelWhitelist"}


def canonical_check_id(check_type: str) -> str:
    """Strip Portkey's `default.` prefix and fold the lowercase alias Portkey accepts."""
    name = check_type.removeprefix("default.")
    return _ALIASES.get(name, name)


def supports_window(check_type: str, params: Mapping[str, object]) -> bool:
    """Tell whether a check with these parameters can judge a stream window by window."""
    name = canonical_check_id(check_type)
    if name in GW_CHECK_IDS:
        return True
    if name == "contains":
        return params.get("operator", "any") == "none"
    if name == "regexMatch":
        return params.get("not") is True
    return False
