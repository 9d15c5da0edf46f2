"""`gw explain ROUTE [PATH…]` (or `--header JSON`): the compiled tree, each node with its file:line.

With `--request req.json` (and `--metadata k=v`, `--simulate target=429,…`) it prints the decision
path of that request instead (`gateway.cli.explain_request`).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from gateway.cli.validate import EXIT_ERRORS, EXIT_OK, EXIT_USAGE_ERR, report

if TYPE_CHECKING:
    from compiler.specs import CompiledGateway, LeafSpec, NodeSpec, RouteSpec

__all__ = ["explain_route", "register", "run_explain"]


def _leaf_line(leaf: LeafSpec) -> str:
    parts = [f"provider {leaf.provider}"]
    if leaf.name:
        parts.insert(0, f"`{leaf.name}`")
    if leaf.override_params != "{}":
        parts.append(f"params {leaf.override_params}")
    if leaf.weight != 1.0:
        parts.append(f"weight {leaf.weight:g}")
    if leaf.retry.attempts:
        parts.append(f"retry {leaf.retry.attempts} on {','.join(map(str, leaf.retry.on_status_codes))}")
    if leaf.request_timeout_ms is not None:
        parts.append(f"timeout {leaf.request_timeout_ms}ms")
    if leaf.cache is not None:
        parts.append(
            f"cache {leaf.cache.mode}" + (f" {leaf.cache.max_age_s}s" if leaf.cache.max_age_s else "")
        )
    if leaf.circuit_breaker is not None:
        parts.append(f"breaker {leaf.circuit_breaker.failure_threshold}/{leaf.circuit_breaker.cooldown_ms}ms")
    if leaf.custom_host:
        parts.append(f"host {leaf.custom_host}")
    if leaf.input_guardrails or leaf.output_guardrails:
        parts.append(f"guardrails in={list(leaf.input_guardrails)} out={list(leaf.output_guardrails)}")
    return ", ".join(parts)


def _node_lines(node: NodeSpec, prefix: str, last: bool, lines: list[str]) -> None:
    from compiler.specs import StrategySpec

    branch = "└─ " if last else "├─ "
    where = f"  ({node.source})"
    if isinstance(node, StrategySpec):
        label = f"{node.mode}" + (f" `{node.name}`" if node.name else "")
        if node.on_status_codes is not None:
            label += f" on {','.join(map(str, node.on_status_codes))}"
        if node.default is not None:
            label += f" default→[{node.default}]"
        lines.append(f"{prefix}{branch}{node.path}: {label}{where}")
        child_prefix = prefix + ("   " if last else "│  ")
        for cond in node.conditions:
            lines.append(f"{child_prefix}if {_query(cond.query)} → [{cond.then}]")
        for i, child in enumerate(node.targets):
            _node_lines(child, child_prefix, i == len(node.targets) - 1, lines)
    else:
        lines.append(f"{prefix}{branch}{node.path}: {_leaf_line(node)}{where}")


def _query(query: object) -> str:
    from compiler.specs import QueryAll, QueryAny, QueryCompare

    if isinstance(query, QueryCompare):
        return f"{query.root}.{query.field} {query.op} {query.value}"
    if isinstance(query, QueryAll | QueryAny):
        joiner = " and " if isinstance(query, QueryAll) else " or "
        return "(" + joiner.join(_query(q) for q in query.items) + ")"
    return "?"


def explain_route(route: RouteSpec, content_hash: str) -> str:
    """Render a route as an indented tree with sources."""
    lines = [f"route {route.id}  ({route.source})  {content_hash}"]
    if route.description:
        lines.append(f"  {route.description}")
    lines.append(f"  input guardrails: {', '.join(route.input_guardrails) or '-'}")
    lines.append(f"  output guardrails: {', '.join(route.output_guardrails) or '-'}")
    lines.append(f"  deadline: {route.deadline_ms}ms  buffer_stream: {str(route.buffer_stream).lower()}")
    lines.append(f"  header selectable: {str(route.header_selectable).lower()}")
    _node_lines(route.root, "  ", True, lines)
    return "\n".join(lines)


def _explain_header(text: str, gateway: CompiledGateway) -> int:
    """Compile an `x-portkey-config` value against the manifests and print its tree (keys never shown)."""
    from compiler import compile_header_config, format_diagnostics, summary_line

    result = compile_header_config(text, gateway)
    if result.route is None:
        body = format_diagnostics(result.diagnostics, "text")
        sys.stdout.write(body + "\n" + summary_line(result.diagnostics, compiled=False) + "\n")
        return EXIT_ERRORS
    lines = [explain_route(result.route, gateway.content_hash)]
    lines += [
        f"  provider {p.id}: {p.type}" + (" (inline key)" if p.api_key else "") for p in result.providers
    ]
    lines += [
        f"  guardrail {g.id}: {g.action} {','.join(c.type for c in g.checks)}" for g in result.guardrails
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def run_explain(args: argparse.Namespace) -> int:
    """Handle `gw explain`."""
    from compiler import compile_paths
    from compiler.did_you_mean import suggest

    paths = args.paths if args.header is None else [*([args.route] if args.route else []), *args.paths]
    result = compile_paths(paths or ["configs"])
    if result.gateway is None:
        report(result, "text")
        return EXIT_ERRORS
    if args.header is not None:
        return _explain_header(args.header, result.gateway)
    if args.route is None:
        sys.stderr.write("gw: give a ROUTE id or --header JSON\n")
        return EXIT_USAGE_ERR
    routes = {r.id: r for r in result.gateway.routes}
    route = routes.get(args.route)
    if args.vars is not None or (route is None and args.route in {p.id for p in result.gateway.prompts}):
        from gateway.cli.prompts import run_prompt

        return run_prompt(args, result.gateway, args.route)
    if route is None:
        hint = suggest(args.route, routes, "defined routes") or "no routes are defined"
        sys.stderr.write(f"gw: unknown route `{args.route}`\n  hint: {hint}\n")
        return EXIT_USAGE_ERR
    if args.request is not None:
        from gateway.cli.explain_args import run_request

        return run_request(args, result.gateway, route)
    sys.stdout.write(explain_route(route, result.gateway.content_hash) + "\n")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `gw explain`."""
    parser = subparsers.add_parser("explain", help="show a route's compiled tree with file:line of each node")
    parser.add_argument("route", metavar="ROUTE", nargs="?", help="route id")
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", default=[], help="files or directories (default: configs)"
    )
    parser.add_argument(
        "--header", metavar="JSON", help="explain an x-portkey-config value instead of a route"
    )
    parser.add_argument("--request", metavar="FILE", help="walk this request (a JSON body; - for stdin)")
    parser.add_argument("--vars", metavar="FILE", help="ROUTE is a prompt id: render it with these variables")
    parser.add_argument(
        "--metadata", action="append", default=[], metavar="K=V", help="x-portkey-metadata entry (repeatable)"
    )
    parser.add_argument(
        "--simulate",
        action="append",
        default=[],
        metavar="TARGET=STATUS,…",
        help="simulated upstream answers by target path, name or provider: 429, 503/200, timeout",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of loadbalance draws (default 0)")
    parser.add_argument("--endpoint", choices=("chat", "completions", "embeddings"), default="chat")
    parser.set_defaults(handler=run_explain)
