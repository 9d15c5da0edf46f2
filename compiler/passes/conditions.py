"""Conditional routing queries (Portkey's query language) compiled to QuerySpec trees."""

from __future__ import annotations

from typing import Any, cast, get_args

from compiler.canonical import canonical_json
from compiler.diagnostics import Diagnostic
from compiler.did_you_mean import closest
from compiler.document import Document
from compiler.passes.guardrails import compile_regex
from compiler.pointer import join
from compiler.specs import CompareOp, QueryAll, QueryAny, QueryCompare, QuerySpec

__all__ = ["build_query"]

_OPS: tuple[str, ...] = get_args(CompareOp)
_ROOTS = ("metadata", "params", "url")
_NUMERIC = frozenset({"$gt", "$gte", "$lt", "$lte"})
_MAX_DEPTH = 16


def _fail(doc: Document, pointer: str, message: str, hint: str | None = None) -> list[Diagnostic]:
    return [doc.diag("GW-E0505", pointer, message, hint=hint)]


def _operand(doc: Document, pointer: str, op: str, value: Any) -> list[Diagnostic]:  # Any: JSON operand
    if op in ("$in", "$nin") and not isinstance(value, list):
        return _fail(doc, pointer, f"`{op}` needs a list")
    if op in _NUMERIC and (isinstance(value, bool) or not isinstance(value, int | float | str)):
        return _fail(doc, pointer, f"`{op}` needs a number")
    if op == "$regex":
        if not isinstance(value, str):
            return _fail(doc, pointer, "`$regex` needs a pattern string")
        problem = compile_regex(value)
        if problem is not None:
            return [doc.diag("GW-E0502", pointer, f"regular expression does not compile: {problem}")]
    return []


def _field(doc: Document, pointer: str, key: str) -> tuple[tuple[str, str] | None, list[Diagnostic]]:
    root, _, name = key.partition(".")
    if root not in _ROOTS or not name:
        best = closest(root, _ROOTS)
        hint = (
            f"did you mean `{best}.{name}`?" if best and name else "write `metadata.<key>` or `params.<key>`"
        )
        return None, [doc.diag("GW-E0505", pointer, f"unknown query field `{key}`", hint=hint, key=True)]
    if "." in name:
        msg = f"query field `{key}` is nested deeper than `<root>.<field>`"
        return None, [doc.diag("GW-E0505", pointer, msg, key=True)]
    if root == "url" and name != "pathname":
        return None, [doc.diag("GW-E0505", pointer, "only `url.pathname` can be queried", key=True)]
    return (root, name), []


def _compare(
    doc: Document, pointer: str, key: str, value: Any
) -> tuple[QuerySpec | None, list[Diagnostic]]:  # Any: JSON
    found, diags = _field(doc, pointer, key)
    if found is None:
        return None, diags
    root, name = found
    if not (isinstance(value, dict) and value and all(k.startswith("$") for k in value)):
        return QueryCompare(root=cast(Any, root), field=name, op="$eq", value=canonical_json(value)), []
    items: list[QuerySpec] = []
    for op, operand in value.items():
        where = join(pointer, op)
        if op not in _OPS:
            best = closest(op, _OPS)
            diags += [
                doc.diag(
                    "GW-E0505",
                    where,
                    f"unknown operator `{op}`",
                    hint=best and f"did you mean `{best}`?",
                    key=True,
                )
            ]
            continue
        errs = _operand(doc, where, op, operand)
        diags += errs
        if not errs:
            items.append(
                QueryCompare(
                    root=cast(Any, root), field=name, op=cast(Any, op), value=canonical_json(operand)
                )
            )
    if diags:
        return None, diags
    return (items[0] if len(items) == 1 else QueryAll(items=tuple(items))), []


def _logical(
    doc: Document, pointer: str, key: str, value: Any, depth: int
) -> tuple[QuerySpec | None, list[Diagnostic]]:  # Any: JSON
    if not isinstance(value, list) or not value:
        return None, _fail(doc, pointer, f"`{key}` needs a non-empty list of queries")
    parts: list[QuerySpec] = []
    diags: list[Diagnostic] = []
    for i, sub in enumerate(value):
        spec, errs = build_query(doc, join(pointer, i), sub, depth + 1)
        diags += errs
        if spec is not None:
            parts.append(spec)
    if diags:
        return None, diags
    return (QueryAll(items=tuple(parts)) if key == "$and" else QueryAny(items=tuple(parts))), []


def build_query(
    doc: Document, pointer: str, query: Any, depth: int = 0
) -> tuple[QuerySpec | None, list[Diagnostic]]:  # Any: JSON
    """Compile a query object; several keys in one object must all hold."""
    if depth > _MAX_DEPTH:
        return None, _fail(doc, pointer, f"query nested deeper than {_MAX_DEPTH} levels")
    if not isinstance(query, dict) or not query:
        return None, _fail(doc, pointer, "a query must be a non-empty object")
    parts: list[QuerySpec] = []
    diags: list[Diagnostic] = []
    for key in sorted(query):
        where = join(pointer, key)
        if key in ("$and", "$or"):
            spec, errs = _logical(doc, where, key, query[key], depth)
        elif key.startswith("$"):
            hint = "use `$and`/`$or` here, or put the operator under a field"
            spec, errs = (
                None,
                [
                    doc.diag(
                        "GW-E0505", where, f"unknown operator `{key}` at query level", hint=hint, key=True
                    )
                ],
            )
        else:
            spec, errs = _compare(doc, where, key, query[key])
        diags += errs
        if spec is not None:
            parts.append(spec)
    if diags:
        return None, diags
    return (parts[0] if len(parts) == 1 else QueryAll(items=tuple(parts))), []
