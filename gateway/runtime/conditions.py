"""Conditional-routing queries compiled once (at link time) into predicates over a request.

Semantics follow Portkey's query router: keys are `<root>.<field>` with roots `metadata`, `params`
(the request body before override_params) and `url`; `$gt`-style operators compare numerically,
`$in`/`$nin` test membership, `$regex` searches the value's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from compiler.specs import QueryAll, QueryAny, QueryCompare, QuerySpec

__all__ = ["Predicate", "QueryFacts", "compile_query"]

QueryFacts = Mapping[str, Mapping[str, Any]]  # Any: request JSON values; roots metadata/params/url
Predicate = Callable[[QueryFacts], bool]

_MISSING = object()


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _numeric(op: str, operand: object) -> Callable[[object], bool]:
    bound = _number(operand)
    compare: dict[str, Callable[[float, float], bool]] = {
        "$gt": lambda a, b: a > b,
        "$gte": lambda a, b: a >= b,
        "$lt": lambda a, b: a < b,
        "$lte": lambda a, b: a <= b,
    }
    fn = compare[op]

    def test(value: object) -> bool:
        number = _number(value)
        return bound is not None and number is not None and fn(number, bound)

    return test


def _membership(operand: object, *, negate: bool) -> Callable[[object], bool]:
    items = operand if isinstance(operand, list) else [operand]

    def test(value: object) -> bool:
        return (value in items) != negate

    return test


def _value_test(query: QueryCompare) -> Callable[[object], bool]:
    operand: Any = msgspec.json.decode(query.value)  # Any: canonical JSON operand
    match query.op:
        case "$eq":
            return lambda value: value == operand
        case "$ne":
            return lambda value: value != operand
        case "$gt" | "$gte" | "$lt" | "$lte":
            return _numeric(query.op, operand)
        case "$in":
            return _membership(operand, negate=False)
        case "$nin":
            return _membership(operand, negate=True)
        case "$regex":
            pattern = re.compile(str(operand))
            return lambda value: value is not _MISSING and pattern.search(str(value)) is not None


def _compare(query: QueryCompare) -> Predicate:
    test = _value_test(query)
    root, name = query.root, query.field

    def predicate(facts: QueryFacts) -> bool:
        scope = facts.get(root)
        value = scope.get(name, _MISSING) if scope is not None else _MISSING
        if value is _MISSING:
            return query.op in ("$ne", "$nin")
        return test(value)

    return predicate


def compile_query(query: QuerySpec) -> Predicate:
    """Compile a query tree into a predicate (regexes compiled here, once)."""
    if isinstance(query, QueryCompare):
        return _compare(query)
    parts = tuple(compile_query(item) for item in query.items)
    if isinstance(query, QueryAll):
        return lambda facts: all(part(facts) for part in parts)
    assert isinstance(query, QueryAny)
    return lambda facts: any(part(facts) for part in parts)
