"""Prompts: `prompt` manifests → PromptSpecs, with their route, variables and templates checked.

A prompt's route must exist; each variable's JSON Schema must be valid and its default must match it;
every template (and partial) must parse, use only declared variables and reach nothing private; a
declared variable no template uses is a warning. Partials are read by the loader as sources (the
compiler does no I/O) and resolved here relative to the manifest's directory.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError

from compiler.canonical import canonical_json
from compiler.diagnostics import Diagnostic
from compiler.document import Document
from compiler.passes.kinds import Entry
from compiler.passes.prompts_raw import RawPrompt
from compiler.passes.prompts_templates import Origin, analyse_templates, origin_in_manifest
from compiler.pointer import join
from compiler.specs import PromptMessageSpec, PromptSpec, PromptVariableSpec

__all__ = ["RESERVED_VARIABLES", "build_prompts"]

RESERVED_VARIABLES = frozenset(
    {"self", "loop", "super", "caller", "varargs", "kwargs", "true", "false", "none", "True", "False", "None"}
)
"""Names jinja2 gives a meaning of its own: a variable cannot be called that."""


def _variable(
    doc: Document, name: str, schema: dict[str, Any]
) -> tuple[PromptVariableSpec | None, list[Diagnostic]]:  # Any: JSON Schema
    pointer = join("/variables", name)
    if name in RESERVED_VARIABLES:
        msg = f"variable name `{name}` is reserved by jinja2"
        return None, [doc.diag("GW-E0706", pointer, msg, hint="rename the variable", key=True)]
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/" + "/".join(str(p) for p in exc.path)
        msg = f"variable `{name}` has an invalid JSON Schema: `{exc.validator}` fails at `{where}`"
        return None, [doc.diag("GW-E0706", pointer, msg)]
    body = {k: v for k, v in schema.items() if k != "default"}
    default = None
    try:  # a `$ref` that resolves nowhere only fails when a value is checked
        errors = list(jsonschema.Draft202012Validator(body).iter_errors(schema.get("default")))
    except Exception:  # jsonschema raises its referencing errors, not SchemaError
        msg = f"variable `{name}` has a JSON Schema that cannot be used (a `$ref` resolves nowhere)"
        return None, [doc.diag("GW-E0706", pointer, msg, hint="inline the schema: only local refs work")]
    if "default" in schema:
        if errors:
            msg = f"the default of `{name}` does not match its schema (`{errors[0].validator}`)"
            return None, [doc.diag("GW-E0706", join(pointer, "default"), msg)]
        default = canonical_json(schema["default"])
    return PromptVariableSpec(name=name, schema=canonical_json(body), default=default), []


def _templates(doc: Document, raw: RawPrompt, sources: Mapping[str, str]) -> list[tuple[str, Origin]]:
    text = sources.get(doc.file, "")
    out = []
    for i, message in enumerate(raw.messages):
        pointer = join("/messages", i, "content")
        line, col = doc.position(pointer)
        out.append((message.content, origin_in_manifest(doc.file, text, line, col, pointer)))
    return out


def _build_one(
    entry: Entry, routes: Mapping[str, object], sources: Mapping[str, str]
) -> tuple[PromptSpec | None, list[Diagnostic]]:
    raw: RawPrompt = entry.raw
    doc = entry.doc
    diags: list[Diagnostic] = []
    if raw.route not in routes:
        diags.append(doc.unknown("GW-E0303", "/route", "route", raw.route, routes))
    variables: list[PromptVariableSpec] = []
    for name in sorted(raw.variables):
        variable, errs = _variable(doc, name, raw.variables[name])
        diags += errs
        if variable is not None:
            variables.append(variable)
    declared = frozenset(raw.variables)
    base = posixpath.dirname(doc.file)
    facts = analyse_templates(raw.id, _templates(doc, raw, sources), declared, base, sources)
    diags += facts.diags
    unused = declared - facts.used - RESERVED_VARIABLES if facts.complete else set()
    for name in sorted(unused & {v.name for v in variables}):
        msg = f"variable `{name}` is declared but no template of prompt `{raw.id}` uses it"
        diags.append(doc.diag("GW-W0701", join("/variables", name), msg, hint="remove it", key=True))
    spec = PromptSpec(
        id=raw.id,
        version=raw.version,
        description=raw.description,
        route=raw.route,
        messages=tuple(PromptMessageSpec(role=m.role, template=m.content) for m in raw.messages),
        variables=tuple(variables),
        params=canonical_json(raw.params),
        partials=tuple(sorted(facts.partials.items())),
        source=doc.source(""),
    )
    return spec, diags


def build_prompts(
    entries: list[Entry], routes: Mapping[str, object], sources: Mapping[str, str]
) -> tuple[list[PromptSpec], list[Diagnostic]]:
    """Compile every valid prompt manifest; `sources` holds manifest and partial texts by display path."""
    prompts: list[PromptSpec] = []
    diags: list[Diagnostic] = []
    for entry in entries:
        if entry.kind != "prompt" or entry.raw is None:
            continue
        spec, errs = _build_one(entry, routes, sources)
        diags += errs
        if spec is not None:
            prompts.append(spec)
    return prompts, diags
