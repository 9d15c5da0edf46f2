"""Guardrails: GuardrailSpecs, each check's id and parameters checked against its JSON Schema."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import msgspec

from compiler.canonical import canonical_json
from compiler.diagnostics import Diagnostic
from compiler.did_you_mean import suggest
from compiler.document import Document
from compiler.passes.kinds import Entry, build_each
from compiler.pointer import join
from compiler.raw import RawGuardrail
from compiler.schema import SchemaSet, check_instance
from compiler.specs import CheckSpec, GuardrailSpec

__all__ = ["build_check", "build_guardrails", "check_id", "compile_regex", "python_regex", "regex_params"]

_REGEX_PARAMS = ("rule", "pattern", "regex", "patterns")


_ALIASES = {"modelwhitelist": "modelWhitelist"}
_JS_NAMED_GROUP = re.compile(r"\(\?<(?=[A-Za-z_])")


def check_id(raw: str) -> str:
    """Strip Portkey's `default.` namespace from a check id and fold the lowercase alias it accepts."""
    name = raw.removeprefix("default.")
    return _ALIASES.get(name, name)


def python_regex(pattern: str) -> str:
    """Rewrite JavaScript named groups `(?<name>…)` as Python's `(?P<name>…)`."""
    return _JS_NAMED_GROUP.sub("(?P<", pattern)


def compile_regex(pattern: str) -> str | None:
    """Compile a pattern (JavaScript `(?<name>…)` groups accepted); return the error, or None."""
    try:
        re.compile(python_regex(pattern))
    except (re.error, RecursionError, OverflowError) as exc:
        return str(getattr(exc, "msg", "invalid pattern"))
    return None


def regex_params(pointer: str, params: dict[str, Any]) -> list[tuple[str, str]]:  # Any: JSON
    """Every regular expression among a check's parameters, with its pointer (lists item by item)."""
    items: list[tuple[str, str]] = []
    for key in _REGEX_PARAMS:
        value = params.get(key)
        if isinstance(value, str):
            items.append((join(pointer, key), value))
        elif isinstance(value, list):
            items += [(join(pointer, key, i), v) for i, v in enumerate(value) if isinstance(v, str)]
    return items


def _check_regexes(doc: Document, pointer: str, params: dict[str, Any]) -> list[Diagnostic]:  # Any: JSON
    diags: list[Diagnostic] = []
    for where, pattern in regex_params(pointer, params):
        problem = compile_regex(pattern)
        if problem is not None:
            diags.append(doc.diag("GW-E0502", where, f"regular expression does not compile: {problem}"))
    return diags


def _check_inner_schema(doc: Document, pointer: str, params: dict[str, Any]) -> list[Diagnostic]:  # Any: JSON
    inner = params.get("schema")
    if inner is None:
        return []
    try:
        jsonschema.Draft202012Validator.check_schema(inner)
    except jsonschema.SchemaError as exc:
        where = join(pointer, "schema", *exc.absolute_path)
        field = str(exc.absolute_path[-1]) if exc.absolute_path else "the schema"
        found = f"`{exc.instance}`" if isinstance(exc.instance, str | int | float) else "this value"
        return [doc.diag("GW-E0503", where, f"invalid json schema: {found} is not valid for `{field}`")]
    except RecursionError:
        return [doc.diag("GW-E0503", join(pointer, "schema"), "invalid json schema: nesting too deep")]
    return []


def build_check(
    doc: Document,
    pointer: str,
    raw_id: str,
    params: dict[str, Any],
    schemas: SchemaSet,
    *,
    params_at: str | None = None,
) -> tuple[CheckSpec | None, list[Diagnostic]]:  # Any: check parameters (JSON)
    """Compile one check: `pointer` locates the check object (its `parameters` unless `params_at`)."""
    ident = check_id(raw_id)
    params_at = join(pointer, "parameters") if params_at is None else params_at
    if ident not in schemas.checks:
        id_key = "type" if join(pointer, "type") in doc.values else "id"
        where = join(pointer, id_key) if join(pointer, id_key) in doc.values else pointer
        hint = suggest(ident, schemas.checks, "known checks")
        return None, [doc.diag("GW-E0305", where, f"unknown guardrail check `{raw_id}`", hint=hint)]
    validator = schemas.validator("check:" + ident)
    errors = [_as_param_error(d) for d in check_instance(doc, validator, params, params_at)]
    errors += _check_regexes(doc, params_at, params)
    if ident == "jsonSchema":
        errors += _check_inner_schema(doc, params_at, params)
    spec = CheckSpec(type=ident, params=canonical_json(params), source=doc.source(pointer))
    return (None if errors else spec), errors


def _as_param_error(diag: Diagnostic) -> Diagnostic:
    """Report schema failures inside check parameters under one code."""
    return msgspec.structs.replace(diag, code="GW-E0504", message="check parameters: " + diag.message)


def _build_one(entry: Entry, raw: RawGuardrail, schemas: SchemaSet) -> tuple[GuardrailSpec, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    checks: list[CheckSpec] = []
    for i, check in enumerate(raw.checks):
        spec, errs = build_check(entry.doc, join("/checks", i), check.type, check.parameters, schemas)
        diags.extend(errs)
        if spec is not None:
            checks.append(spec)
    guardrail = GuardrailSpec(
        id=raw.id,
        checks=tuple(checks),
        applies_to=tuple(sorted(raw.applies_to)),
        action=raw.action,
        stream_mode=raw.stream_mode,
        source=entry.doc.source(""),
    )
    return guardrail, diags


def build_guardrails(
    entries: list[Entry], schemas: SchemaSet
) -> tuple[list[GuardrailSpec], list[Diagnostic]]:
    """Build a GuardrailSpec for every valid guardrail manifest."""
    return build_each(entries, RawGuardrail, lambda entry, raw: _build_one(entry, raw, schemas))
