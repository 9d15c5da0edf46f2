"""Arguments of `gw explain --request`: the request file, `--metadata k=v` and `--simulate target=…`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

from compiler.cases import OutcomeSpec
from compiler.specs import CompiledGateway, RouteSpec
from gateway.cli.validate import EXIT_OK, EXIT_USAGE_ERR

__all__ = ["UsageError", "parse_metadata", "parse_simulate", "read_request", "run_request"]

_TIMEOUT = OutcomeSpec(latency_ms=10**9)
"""`timeout`: an answer slower than any attempt timeout."""


class UsageError(Exception):
    """A bad argument; the message names it."""


def read_request(name: str) -> dict[str, Any]:  # Any: an OpenAI request body
    """Read a JSON object from a file (or stdin for `-`)."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text("utf-8")
        value = json.loads(text)
    except OSError as exc:
        raise UsageError(f"--request: cannot read {name}: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"--request: {name} is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise UsageError(f"--request: {name} must hold a JSON object (the request body)")
    return value


def parse_metadata(items: list[str]) -> dict[str, str]:
    """`k=v` pairs into a metadata mapping."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--metadata: expected KEY=VALUE, got `{item}`")
        out[key] = value
    return out


def _outcome(text: str) -> OutcomeSpec:
    if text == "timeout":
        return _TIMEOUT
    if not text.isdigit() or not 100 <= int(text) <= 599:
        raise UsageError(f"--simulate: expected a status (100-599) or `timeout`, got `{text}`")
    return OutcomeSpec(status=int(text))


def parse_simulate(items: list[str], route: RouteSpec) -> dict[str, tuple[OutcomeSpec, ...]]:
    """`target=429,primary=503/200` into outcomes keyed by target path (names and providers resolved)."""
    from compiler.did_you_mean import suggest
    from compiler.passes.cases import target_keys

    keys = target_keys(route)
    out: dict[str, tuple[OutcomeSpec, ...]] = {}
    for pair in (p for item in items for p in item.split(",") if p):
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--simulate: expected TARGET=STATUS, got `{pair}`")
        if key not in keys:
            hint = suggest(key, keys, f"targets of route `{route.id}`") or ""
            raise UsageError(f"--simulate: unknown target `{key}`\n  hint: {hint}")
        out[keys[key]] = tuple(_outcome(v) for v in value.split("/"))
    return out


def run_request(args: argparse.Namespace, compiled: CompiledGateway, route: RouteSpec) -> int:
    """Print the decision path of `--request` through `route`."""
    from gateway.cli.explain_request import explain_request

    try:
        body = read_request(args.request)
        metadata = parse_metadata(args.metadata)
        outcomes = parse_simulate(args.simulate, route)
    except UsageError as exc:
        sys.stderr.write(f"gw: {exc}\n")
        return EXIT_USAGE_ERR
    logging.getLogger("gw").setLevel(logging.ERROR)  # pricing warnings are not part of the explanation
    text = asyncio.run(
        explain_request(
            compiled,
            route.id,
            body,
            metadata=metadata,
            outcomes=outcomes,
            seed=args.seed,
            endpoint=args.endpoint,
        )
    )
    sys.stdout.write(text + "\n")
    return EXIT_OK
