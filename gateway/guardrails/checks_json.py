"""Portkey's JSON checks: `jsonSchema` and `jsonKeys` on JSON found in the text.

JSON is looked for as Portkey does: fenced ```json blocks first, otherwise `{...}` spans; the first
candidate that parses and satisfies the check wins. The schema is compiled once (JSON Schema 2020-12).
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar, Literal

import jsonschema
import msgspec

from gateway.guardrails.check import CheckResult, Subject, SyncCheck

__all__ = ["JsonKeys", "JsonKeysParams", "JsonSchema", "JsonSchemaParams", "json_candidates"]

_FENCE = re.compile(r"```+(?:json)?\s*([\s\S]*?)```+")
_DECODER = json.JSONDecoder()


def json_candidates(text: str) -> list[Any]:  # Any: parsed JSON values
    """Return the JSON objects in fenced blocks, or else every `{...}` object found in the text."""
    out: list[Any] = []
    for m in _FENCE.finditer(text):
        try:
            out.append(json.loads(m.group(1).strip()))
        except ValueError:
            continue
    if out:
        return out
    pos = text.find("{")
    while pos != -1:
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except ValueError:
            pos = text.find("{", pos + 1)
            continue
        out.append(value)
        pos = text.find("{", end)
    return out


class JsonSchemaParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `jsonSchema`."""

    schema: dict[str, Any]  # Any: a JSON Schema document
    not_: bool = msgspec.field(default=False, name="not")


class JsonSchema(SyncCheck):
    """Pass when some JSON in the text validates against `schema`."""

    cost: ClassVar[int] = 40

    def __init__(self, p: JsonSchemaParams) -> None:
        try:
            jsonschema.Draft202012Validator.check_schema(p.schema)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"invalid JSON Schema: {exc.message}") from exc
        self.validator = jsonschema.Draft202012Validator(p.schema)
        self.negate = p.not_

    def run(self, subject: Subject) -> CheckResult:
        """Validate each candidate until one is valid."""
        candidates = json_candidates(subject.text)
        if not candidates:
            return CheckResult(False, {"explanation": "no JSON found in the text", "not": self.negate})
        errors: list[dict[str, str]] = []
        valid = False
        for value in candidates:
            found = list(self.validator.iter_errors(value))
            if not found:
                valid = True
                break
            if not errors:
                errors = [
                    {"path": "/" + "/".join(map(str, e.absolute_path)), "message": f"fails `{e.validator}`"}
                    for e in found
                ]
        verdict = not valid if self.negate else valid
        return CheckResult(verdict, {"not": self.negate, "validationErrors": [] if valid else errors})


class JsonKeysParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `jsonKeys`."""

    keys: tuple[str, ...]
    operator: Literal["any", "all", "none"] = "any"


class JsonKeys(SyncCheck):
    """Pass when some JSON object in the text has any, all or none of `keys` at its top level."""

    cost: ClassVar[int] = 30

    def __init__(self, p: JsonKeysParams) -> None:
        self.keys, self.operator = p.keys, p.operator

    def _holds(self, present: list[str]) -> bool:
        if self.operator == "any":
            return bool(present)
        if self.operator == "all":
            return len(present) == len(self.keys)
        return not present

    def run(self, subject: Subject) -> CheckResult:
        """Check each JSON object until one satisfies the operator."""
        best: list[str] = []
        for value in json_candidates(subject.text):
            if not isinstance(value, dict):
                continue
            present = [k for k in self.keys if k in value]
            if self._holds(present):
                return CheckResult(True, {"operator": self.operator, "presentKeys": present})
            best = present if len(present) > len(best) else best
        missing = [k for k in self.keys if k not in best]
        return CheckResult(False, {"operator": self.operator, "presentKeys": best, "missingKeys": missing})
