"""JSON Schema validation of manifests and header configs, with gw's own messages.

jsonschema's message text is never shown: each validator keyword maps to a diagnostic code and a
lowercase sentence that names what was found and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from compiler.diagnostics import Diagnostic
from compiler.did_you_mean import closest, suggest
from compiler.document import Document
from compiler.pointer import join

__all__ = ["KINDS", "RESERVED_KINDS", "SchemaSet", "check_instance", "json_type"]

KINDS = ("budget", "guardrail", "policy", "pricing", "prompt", "provider", "route", "test")
"""Manifest kinds, each with `schemas/<kind>.schema.json`."""
RESERVED_KINDS: tuple[str, ...] = ()
"""Kinds reserved for later issues."""

_RANGE = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
_SIZE = {"minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "minProperties", "maxProperties"}
_ID_PATTERN = "^[a-z][a-z0-9_-]{0,62}$"
_MISPLACED = {
    "mode": "put it under `strategy:` (e.g. `strategy: {mode: fallback}`)",
    "conditions": "put it under `strategy:`",
    "default": "put it under `strategy:`",
    "on_status_codes": "put it under `strategy:` (Portkey ignores it on a target)",
    "cb_config": "put it under `strategy:`, or use `circuit_breaker` on the node",
}
"""Strategy keys written on a node: the fix is to move them, not to respell them."""


@dataclass(frozen=True)
class SchemaSet:
    """The JSON Schemas the compiler validates against (read once by `compiler.loader`)."""

    kinds: Mapping[str, Any]  # Any: JSON Schema documents
    header: Any
    checks: Mapping[str, Any] = field(default_factory=dict)
    """Guardrail check id → JSON Schema of its parameters."""
    validators: dict[str, jsonschema.protocols.Validator] = field(default_factory=dict, compare=False)

    def validator(self, name: str) -> jsonschema.protocols.Validator:
        """Return the (memoised) validator of a kind, `header`, or `check:<id>`."""
        found = self.validators.get(name)
        if found is None:
            if name == "header":
                schema = self.header
            elif name.startswith("check:"):
                schema = self.checks[name[6:]]
            else:
                schema = self.kinds[name]
            found = jsonschema.Draft202012Validator(schema)
            self.validators[name] = found
        return found


def json_type(value: Any) -> str:  # Any: a parsed JSON value
    """Name the JSON type of a value as schemas spell it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _show(value: Any) -> str:  # Any: a parsed JSON value
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str | int | float) or value is None:
        text = "null" if value is None else str(value)
        return f"`{text[:60]}`"
    return f"a {json_type(value)}"


def _object_diags(
    doc: Document, pointer: str, kw: str, schema: Any, inst: Any
) -> Iterator[Diagnostic]:  # Any: JSON
    if kw == "additionalProperties":
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        known = sorted(props)
        for key in sorted(k for k in inst if k not in props):
            best = closest(key, known)
            hint = f"did you mean `{best}`?" if best else suggest(key, known, "expected keys", limit=30)
            if key in _MISPLACED and "strategy" in props:
                hint = _MISPLACED[key]
            written = doc.shown(join(pointer, key)).rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
            yield doc.diag("GW-E0101", join(pointer, key), f"unknown key `{written}`", hint=hint, key=True)
        return
    for key in schema.get("required", ()) if isinstance(schema, dict) else ():
        if key not in inst:
            yield doc.diag("GW-E0102", pointer, f"missing required key `{key}`")


def _keyword_diags(doc: Document, base: str, err: ValidationError) -> Iterator[Diagnostic]:
    pointer = join(base, *err.absolute_path)
    kw = str(err.validator)
    expected: Any = err.validator_value  # Any: the schema keyword's value
    inst: Any = err.instance  # Any: the offending JSON value
    if kw in ("additionalProperties", "required") and isinstance(inst, dict):
        yield from _object_diags(doc, pointer, kw, err.schema, inst)
    elif kw == "type":
        yield _type_diag(doc, pointer, expected, inst)
    elif kw in ("enum", "const"):
        yield _enum_diag(doc, pointer, [expected] if kw == "const" else list(expected), inst)
    elif kw in _RANGE:
        word = {"minimum": "at least", "maximum": "at most"}.get(
            kw, "more than" if "Min" in kw else "less than"
        )
        yield doc.diag("GW-E0105", pointer, f"{_show(inst)} is out of range: expected {word} {expected}")
    elif kw == "pattern":
        yield _pattern_diag(doc, pointer, str(expected), inst)
    elif kw in _SIZE:
        yield doc.diag("GW-E0108", pointer, _size_message(kw, expected))
    else:
        yield doc.diag("GW-E0108", pointer, f"value does not satisfy `{kw}`")


def _enum_diag(doc: Document, pointer: str, allowed: list[Any], inst: Any) -> Diagnostic:  # Any: JSON
    listed = ", ".join(_show(a) for a in allowed)
    best = closest(inst, [a for a in allowed if isinstance(a, str)]) if isinstance(inst, str) else None
    hint = f"did you mean `{best}`?" if best else None
    return doc.diag("GW-E0104", pointer, f"{_show(inst)} is not allowed: expected {listed}", hint=hint)


def _type_diag(doc: Document, pointer: str, expected: Any, inst: Any) -> Diagnostic:  # Any: schema/JSON
    wanted = [expected] if isinstance(expected, str) else list(expected)
    found = json_type(inst)
    hint = None
    if isinstance(inst, bool) and "string" in wanted:
        hint = "quote the value to keep it a string"
    elif found == "number" and "integer" in wanted:
        hint = "use a whole number"
    return doc.diag("GW-E0103", pointer, f"expected {' or '.join(wanted)}, found {found}", hint=hint)


def _pattern_diag(doc: Document, pointer: str, pattern: str, inst: Any) -> Diagnostic:  # Any: JSON
    if pattern == _ID_PATTERN:
        return doc.diag(
            "GW-E0106",
            pointer,
            f"{_show(inst)} is not a valid id",
            hint="use 1–63 lowercase letters, digits, `_` or `-`, starting with a letter",
        )
    return doc.diag("GW-E0106", pointer, f"{_show(inst)} does not match `{pattern}`")


def _size_message(kw: str, expected: Any) -> str:  # Any: schema keyword value
    return {
        "minItems": f"expected at least {expected} item(s)",
        "maxItems": f"expected at most {expected} item(s)",
        "uniqueItems": "expected unique items, found a repeated one",
        "minLength": f"expected at least {expected} character(s)",
        "maxLength": f"expected at most {expected} character(s)",
        "minProperties": f"expected at least {expected} key(s)",
        "maxProperties": f"expected at most {expected} key(s)",
    }[kw]


def check_instance(
    doc: Document, validator: jsonschema.protocols.Validator, instance: Any, base: str = ""
) -> list[Diagnostic]:  # Any: the JSON value being validated
    """Validate `instance` (found at pointer `base` of `doc`) and translate every error."""
    out: dict[tuple[str, str, str], Diagnostic] = {}
    try:
        errors = list(validator.iter_errors(instance))
    except RecursionError:
        return [doc.diag("GW-E0001", base, "nesting too deep")]
    for err in errors:
        for diag in _keyword_diags(doc, base, err):
            out.setdefault((diag.code, diag.pointer, diag.message), diag)
    return _drop_explained_missing(list(out.values()))


_SUGGESTED = re.compile(r"^did you mean `([^`]+)`\?")
_MISSING = re.compile(r"^missing required key `([^`]+)`$")


def _drop_explained_missing(diags: list[Diagnostic]) -> list[Diagnostic]:
    """A misspelt required key is reported once, as the unknown key (with its did-you-mean)."""
    typos = set()
    for diag in diags:
        found = _SUGGESTED.match(diag.hint or "") if diag.code == "GW-E0101" else None
        if found:
            typos.add((diag.pointer.rsplit("/", 1)[0], found.group(1)))
    kept = []
    for diag in diags:
        missing = _MISSING.match(diag.message) if diag.code == "GW-E0102" else None
        if missing and (diag.pointer, missing.group(1)) in typos:
            continue
        kept.append(diag)
    return kept
