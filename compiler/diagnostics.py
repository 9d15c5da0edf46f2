"""Diagnostics: what the compiler reports, and the registry of every published code.

Codes are grouped by phase and never reused once published:

    GW-E00xx  loading (YAML/JSON syntax, duplicate keys, merge keys, aliases, non-string keys)
    GW-E01xx  schema (unknown key, missing key, type, enum, range, pattern, kind)
    GW-E02xx  names (duplicate ids, duplicate target names, duplicate prices, several policies)
    GW-E03xx  references (providers, guardrails, routes, conditional targets, check ids)
    GW-E04xx  secrets (literal secrets, malformed env references)
    GW-E05xx  values (weights, regexes, JSON Schemas, check parameters, queries, shapes)
    GW-E06xx  header configs (policy refusals, provider slugs, credentials, hosts)
    GW-E07xx  prompts (templates, variables, partials); GW-W07xx prompt lint
    GW-E09xx  internal
    GW-W09xx  lint warnings
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["CODES", "Diagnostic", "Severity", "sort_key"]

Severity = Literal["error", "warning"]

CODES: dict[str, str] = {
    "GW-E0001": "the file is not valid YAML or JSON",
    "GW-E0002": "a mapping repeats a key",
    "GW-E0003": "YAML merge keys, anchors and aliases are not supported",
    "GW-E0004": "a mapping key is not a string",
    "GW-E0005": "a document is not a mapping",
    "GW-E0006": "a file could not be read",
    "GW-E0101": "unknown key",
    "GW-E0102": "missing required key",
    "GW-E0103": "value has the wrong type",
    "GW-E0104": "value is not one of the allowed values",
    "GW-E0105": "number out of range",
    "GW-E0106": "string does not match the expected format",
    "GW-E0107": "unknown or unsupported manifest kind",
    "GW-E0108": "collection size or uniqueness constraint violated",
    "GW-E0201": "id defined more than once",
    "GW-E0202": "more than one policy manifest",
    "GW-E0203": "two targets of one strategy share a name",
    "GW-E0204": "a model is priced twice",
    "GW-E0301": "unknown provider",
    "GW-E0302": "unknown guardrail",
    "GW-E0303": "unknown route",
    "GW-E0304": "conditional `then`/`default` names no target",
    "GW-E0305": "unknown guardrail check",
    "GW-E0306": "guardrail does not apply where it is used",
    "GW-E0401": "literal secret in a manifest",
    "GW-E0402": "malformed environment variable reference",
    "GW-E0501": "loadbalance weights are all zero",
    "GW-E0502": "regular expression does not compile",
    "GW-E0503": "JSON Schema inside a guardrail is invalid",
    "GW-E0504": "check parameters do not match the check's schema",
    "GW-E0505": "invalid conditional query",
    "GW-E0506": "a node is neither a provider target nor a strategy",
    "GW-E0507": "conditional strategy without conditions",
    "GW-E0508": "inconsistent bounds",
    "GW-E0509": "a budget sets no limit",
    "GW-E0510": "forbidden forwarded header",
    "GW-E0511": "a deny/redact output guardrail cannot act on a stream without `buffer_stream`",
    "GW-E0512": "a model the provider does not offer",
    "GW-E0601": "header configs are disabled by policy",
    "GW-E0602": "route is not selectable by header",
    "GW-E0603": "provider slug is not supported",
    "GW-E0604": "header target has no credentials",
    "GW-E0605": "custom host is not allowed",
    "GW-E0606": "header config is not a JSON object",
    "GW-E0607": "an ad-hoc header provider needs a `custom_host`",
    "GW-E0608": "a header config's webhook check names a host the policy does not allow",
    "GW-E0609": "a header config's regular expression is too long or can backtrack catastrophically",
    "GW-E0701": "a prompt template does not parse",
    "GW-E0702": "a prompt template uses an undeclared variable",
    "GW-E0703": "a prompt partial is not found",
    "GW-E0704": "prompt partials include each other in a cycle",
    "GW-E0705": "a prompt template reaches `self` or a private attribute",
    "GW-E0706": "a prompt variable declaration is invalid",
    "GW-W0701": "a declared prompt variable is never used",
    "GW-E0901": "internal compiler error",
    "GW-W0901": "target is unreachable",
    "GW-W0902": "provider is never used",
    "GW-W0903": "guardrail is never used",
    "GW-W0904": "semantic cache threshold below 0.8",
    "GW-W0905": "YAML 1.1 boolean word",
    "GW-W0906": "referenced environment variable is not set (`gw validate --check-env`)",
}
"""Every published diagnostic code with a one-line summary (the golden tests cover each)."""


class Diagnostic(msgspec.Struct, frozen=True, kw_only=True):
    """One problem found in a config, located by file position and RFC 6901 pointer."""

    code: str
    """A code from `CODES`, e.g. `GW-E0301`."""
    severity: Severity
    message: str
    """Lowercase; says what was found and what was expected; never contains a secret."""
    file: str
    line: int
    """1-based line, 0 when unknown."""
    col: int
    """1-based column, 0 when unknown."""
    pointer: str
    """RFC 6901 pointer inside the document (or the header config)."""
    hint: str | None = None
    """At most one actionable suggestion."""
    notes: tuple[str, ...] = ()
    """Related places, e.g. where a duplicate id was first defined."""


def sort_key(diag: Diagnostic) -> tuple[str, int, int, str, str, str]:
    """Order diagnostics by file, position, code, pointer and message."""
    return (diag.file, diag.line, diag.col, diag.code, diag.pointer, diag.message)
