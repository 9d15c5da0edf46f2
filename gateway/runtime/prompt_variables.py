"""A prompt's variables at request time: every declared one present (or defaulted) and matching its schema.

Checked before anything renders, so a bad request is a 400 naming the variable and never a
half-rendered prompt. Schemas are compiled once per config version; the common `{type: string}` is a
type check without jsonschema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
import msgspec

from compiler.specs import PromptSpec
from gateway.errors import RequestError

__all__ = ["VariableCheck", "build_variable_checks", "check_variables"]

_DECODER = msgspec.json.Decoder()
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {  # Any: a JSON value
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "null": lambda v: v is None,
}
_FAST_KEYWORDS = frozenset(
    {"type", "enum", "minLength", "maxLength", "minItems", "maxItems", "items", "description", "title"}
)
"""Schemas using only these keywords are checked by plain Python (the common case, ~10x faster)."""
Validator = Callable[[Any], str | None]  # Any: a JSON value; returns the failed keyword or None


@dataclass(frozen=True, slots=True)
class VariableCheck:
    """One declared variable: how to validate it and its default (decoded once)."""

    name: str
    validate: Validator
    required: bool
    default: Any = None  # Any: a JSON value
    type_name: str = ""
    """The schema's `type`, to say what was expected."""


def _fast(schema: dict[str, Any]) -> Validator | None:  # Any: JSON Schema
    """A plain-Python check of a simple schema, or None when it uses anything else."""
    kind = schema.get("type")
    items = schema.get("items")
    if not set(schema) <= _FAST_KEYWORDS or not isinstance(kind, str) or kind not in _JSON_TYPES:
        return None
    inner = _fast(items) if isinstance(items, dict) else None
    if items is not None and inner is None:
        return None
    is_type = _JSON_TYPES[kind]
    enum = schema.get("enum")
    low = schema.get("minLength", schema.get("minItems", 0))
    high = schema.get("maxLength", schema.get("maxItems"))

    def validate(value: Any) -> str | None:  # Any: a JSON value
        if not is_type(value):
            return "type"
        if enum is not None and value not in enum:
            return "enum"
        if isinstance(value, str | list) and (len(value) < low or (high is not None and len(value) > high)):
            return "length"
        if inner is not None and any(inner(v) is not None for v in value):
            return "items"
        return None

    return validate


def _validator(schema: dict[str, Any]) -> Validator:  # Any: JSON Schema
    fast = _fast(schema)
    if fast is not None:
        return fast
    checker = jsonschema.Draft202012Validator(schema)

    def validate(value: Any) -> str | None:  # Any: a JSON value
        try:
            if checker.is_valid(value):
                return None
            error = jsonschema.exceptions.best_match(checker.iter_errors(value))
        except Exception:  # an unresolvable `$ref` on a branch the compiler's probe did not take
            return "schema"
        return None if error is None else str(error.validator)

    return validate


def build_variable_checks(spec: PromptSpec) -> tuple[VariableCheck, ...]:
    """Compile the variable checks of a prompt (once per config version)."""
    checks = []
    for var in spec.variables:
        schema = _DECODER.decode(var.schema)
        default = None if var.default is None else _DECODER.decode(var.default)
        checks.append(
            VariableCheck(
                name=var.name,
                validate=_validator(schema),
                required=var.default is None,
                default=default,
                type_name=" or ".join(t) if isinstance(t := schema.get("type"), list) else str(t or ""),
            )
        )
    return tuple(checks)


def _expected(check: VariableCheck, keyword: str) -> str:
    if keyword == "type" and check.type_name:
        return f"variable `{check.name}` must be of type {check.type_name}"
    return f"variable `{check.name}` does not match its schema (`{keyword}`)"


def check_variables(
    prompt_id: str, checks: tuple[VariableCheck, ...], given: Any
) -> dict[str, Any]:  # Any: JSON from the request body
    """Return the variables to render with, or raise a 400 naming the first bad one."""
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise RequestError("`variables` must be an object", param="variables", code="invalid_type")
    declared = {c.name for c in checks}
    for name in given:
        if name not in declared:
            known = ", ".join(f"`{n}`" for n in sorted(declared)) or "none"
            raise RequestError(
                f"prompt `{prompt_id}` has no variable `{str(name)[:64]}`; declared: {known}",
                param=f"variables.{str(name)[:64]}",
                code="unknown_variable",
            )
    values: dict[str, Any] = {}  # Any: JSON values
    for check in checks:
        if check.name not in given:
            if check.required:
                raise RequestError(
                    f"variable `{check.name}` is required by prompt `{prompt_id}`",
                    param=f"variables.{check.name}",
                    code="missing_required_parameter",
                )
            values[check.name] = check.default
            continue
        value = given[check.name]
        failed = check.validate(value)
        if failed is not None:
            raise RequestError(
                _expected(check, failed), param=f"variables.{check.name}", code="invalid_variable"
            )
        values[check.name] = value
    return values
