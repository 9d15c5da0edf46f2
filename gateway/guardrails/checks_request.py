"""Portkey's request checks: `modelWhitelist` and `requiredMetadataKeys` (facts, not text)."""

from __future__ import annotations

from typing import ClassVar, Literal

import msgspec

from gateway.guardrails.check import CheckResult, Subject, SyncCheck

__all__ = [
    "MetadataRule",
    "ModelWhitelist",
    "ModelWhitelistParams",
    "RequiredMetadataKeys",
    "RequiredMetadataKeysParams",
]


class MetadataRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Models allowed when metadata `metadataKey` has one of `values`."""

    metadataKey: str
    values: tuple[str, ...]
    models: tuple[str, ...]


class ModelWhitelistParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `modelWhitelist`."""

    models: tuple[str, ...] = ()
    metadataRules: tuple[MetadataRule, ...] = ()
    not_: bool = msgspec.field(default=False, name="not")


class ModelWhitelist(SyncCheck):
    """Pass when the requested model is allowed (by a matching metadata rule, else by `models`)."""

    cost: ClassVar[int] = 1

    def __init__(self, p: ModelWhitelistParams) -> None:
        self.models = frozenset(p.models)
        self.rules = p.metadataRules
        self.negate = p.not_

    def _allowed(self, metadata: dict[str, str]) -> frozenset[str]:
        matched: set[str] = set()
        for rule in self.rules:
            value = metadata.get(rule.metadataKey)
            if value is not None and value in rule.values:
                matched.update(rule.models)
        return frozenset(matched) if matched else self.models

    def run(self, subject: Subject) -> CheckResult:
        """Look the model up in the allowed set."""
        model = subject.request.get("model") or subject.ctx.model
        if not isinstance(model, str) or not model:
            return CheckResult(False, {"explanation": "the request names no model"}, error="missing model")
        allowed = self._allowed(subject.ctx.metadata)
        inside = model in allowed
        verdict = not inside if self.negate else inside
        return CheckResult(
            verdict, {"requestedModel": model, "allowedModels": sorted(allowed), "not": self.negate}
        )


class RequiredMetadataKeysParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `requiredMetadataKeys`."""

    metadataKeys: tuple[str, ...]
    operator: Literal["any", "all", "none"] = "all"


class RequiredMetadataKeys(SyncCheck):
    """Pass when the request metadata has any, all or none of `metadataKeys`."""

    cost: ClassVar[int] = 1

    def __init__(self, p: RequiredMetadataKeysParams) -> None:
        self.keys, self.operator = p.metadataKeys, p.operator

    def run(self, subject: Subject) -> CheckResult:
        """Compare the metadata keys."""
        found = [k for k in self.keys if k in subject.ctx.metadata]
        missing = [k for k in self.keys if k not in subject.ctx.metadata]
        if self.operator == "any":
            verdict = bool(found)
        elif self.operator == "all":
            verdict = not missing
        else:
            verdict = not found
        data = {"operator": self.operator, "found_metadata_keys": found, "missing_metadata_keys": missing}
        return CheckResult(verdict, data)
