"""`gw`: the console entry point; subcommands register themselves on one argparse parser.

Exit codes: 0 ok, 1 config errors (or a failed command), 2 usage, 3 internal error.
Every subcommand module exposes `register(subparsers)`, which sets `handler(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["EXIT_INTERNAL", "EXIT_USAGE", "build_parser", "main"]

EXIT_USAGE = 2
EXIT_INTERNAL = 3
_OWN = ("validate", "compile", "explain")
_OPTIONAL = ("serve", "keys", "db", "usage", "test_cmd", "diff")
"""Commands written elsewhere; gw still runs (and says so) when one is missing."""


def _unavailable(name: str, reason: str) -> argparse.ArgumentParser:
    def handler(args: argparse.Namespace) -> int:
        sys.stderr.write(f"gw: {name} is not available ({reason})\n")
        return EXIT_USAGE

    parser = argparse.ArgumentParser(add_help=False)
    parser.set_defaults(handler=handler)
    return parser


def _register_optional(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str) -> None:
    try:
        module = importlib.import_module(f"gateway.cli.{name}")
    except ImportError as exc:
        reason = "not installed" if exc.name == f"gateway.cli.{name}" else f"cannot import {exc.name}"
        stub = subparsers.add_parser(name, help=f"({name} is not available)", add_help=False)
        stub.add_argument("rest", nargs=argparse.REMAINDER)
        stub.set_defaults(handler=_unavailable(name, reason).get_default("handler"))
        return
    module.register(subparsers)


def build_parser() -> argparse.ArgumentParser:
    """Build the `gw` parser with every available subcommand."""
    parser = argparse.ArgumentParser(prog="gw", description="gw: a config-compiled LLM gateway")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _OWN:
        importlib.import_module(f"gateway.cli.{name}").register(subparsers)
    for name in _OPTIONAL:
        _register_optional(subparsers, name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `gw`; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    handler = args.handler
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: exit 3 with the type, never a secret value
        sys.stderr.write(f"gw: internal error: {type(exc).__name__} (please report)\n")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
