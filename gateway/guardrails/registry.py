"""The explicit table from check id to its parameter struct and constructor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from compiler.specs import CheckSpec
from gateway.guardrails import checks_json as cj
from gateway.guardrails import checks_net as cn
from gateway.guardrails import checks_pii as cp
from gateway.guardrails import checks_request as cr
from gateway.guardrails import checks_text as ct
from gateway.guardrails.capabilities import canonical_check_id, supports_window
from gateway.guardrails.check import Check

__all__ = ["PARAMS", "Link", "build_check", "check_result_id"]


@dataclass(slots=True, frozen=True)
class Link:
    """What building a check may need besides its parameters."""

    config_root: Path | None
    session: cn.SessionSource


PARAMS: dict[str, type[msgspec.Struct]] = {
    "pii": cp.PiiParams,
    "keywords": cp.KeywordsParams,
    "regexMatch": ct.RegexMatchParams,
    "sentenceCount": ct.SentenceCountParams,
    "wordCount": ct.WordCountParams,
    "characterCount": ct.CharacterCountParams,
    "contains": ct.ContainsParams,
    "endsWith": ct.EndsWithParams,
    "alluppercase": ct.CaseParams,
    "alllowercase": ct.CaseParams,
    "containsCode": ct.ContainsCodeParams,
    "notNull": ct.CaseParams,
    "jsonSchema": cj.JsonSchemaParams,
    "jsonKeys": cj.JsonKeysParams,
    "modelWhitelist": cr.ModelWhitelistParams,
    "requiredMetadataKeys": cr.RequiredMetadataKeysParams,
    "webhook": cn.WebhookParams,
    "validUrls": cn.ValidUrlsParams,
}
"""Parameter struct per check id (mirrors schemas/checks/<id>.schema.json)."""


def _list_dir(spec: CheckSpec, root: Path | None) -> Path | None:
    if root is None or spec.source.file.startswith("<"):
        return None
    return (root / spec.source.file).parent


_BUILDERS: dict[str, Callable[[Any, CheckSpec, Link], Check]] = {
    "pii": lambda p, s, k: cp.Pii(p),
    "keywords": lambda p, s, k: cp.Keywords(p, _list_dir(s, k.config_root), k.config_root),
    "regexMatch": lambda p, s, k: ct.RegexMatch(p),
    "sentenceCount": lambda p, s, k: ct.SentenceCount(p),
    "wordCount": lambda p, s, k: ct.WordCount(p),
    "characterCount": lambda p, s, k: ct.CharacterCount(p),
    "contains": lambda p, s, k: ct.Contains(p),
    "endsWith": lambda p, s, k: ct.EndsWith(p),
    "alluppercase": lambda p, s, k: ct.AllUppercase(p),
    "alllowercase": lambda p, s, k: ct.AllLowercase(p),
    "containsCode": lambda p, s, k: ct.ContainsCode(p),
    "notNull": lambda p, s, k: ct.NotNull(p),
    "jsonSchema": lambda p, s, k: cj.JsonSchema(p),
    "jsonKeys": lambda p, s, k: cj.JsonKeys(p),
    "modelWhitelist": lambda p, s, k: cr.ModelWhitelist(p),
    "requiredMetadataKeys": lambda p, s, k: cr.RequiredMetadataKeys(p),
    "webhook": lambda p, s, k: cn.Webhook(p, k.session),
    "validUrls": lambda p, s, k: cn.ValidUrls(p, k.session),
}


def check_result_id(check_type: str) -> str:
    """Return the id hook_results report: `default.<id>` for Portkey's checks, the bare id for gw's."""
    name = canonical_check_id(check_type)
    return name if name in ("pii", "keywords") else f"default.{name}"


def build_check(spec: CheckSpec, link: Link) -> Check:
    """Decode the parameters and build the check; raise ValueError naming the spec's source."""
    name = canonical_check_id(spec.type)
    struct = PARAMS.get(name)
    if struct is None:
        raise ValueError(f"{spec.source}: unknown check `{spec.type}`")
    try:
        params = msgspec.json.decode(spec.params.encode(), type=struct)
        check = _BUILDERS[name](params, spec, link)
    except (msgspec.ValidationError, ValueError, OSError) as exc:
        raise ValueError(f"{spec.source}: check `{spec.type}`: {exc}") from exc
    check.id = check_result_id(name)
    check.window = supports_window(name, msgspec.json.decode(spec.params))
    return check
