"""`gw compile [PATH…] [-o FILE]`: write the compiled artifact as deterministic JSON and print its hash."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.cli.validate import EXIT_ERRORS, EXIT_OK, add_format_option, add_paths_argument, report

__all__ = ["register", "run_compile"]


def run_compile(args: argparse.Namespace) -> int:
    """Handle `gw compile`."""
    import msgspec

    from compiler import compile_paths

    result = compile_paths(args.paths)
    to_stdout = args.output in (None, "-")
    stream = sys.stderr if to_stdout else sys.stdout
    if result.gateway is None:
        report(result, args.format, stream=stream)
        return EXIT_ERRORS
    if result.diagnostics:
        report(result, args.format, stream=stream)
    data = msgspec.json.Encoder(order="deterministic").encode(result.gateway) + b"\n"
    if to_stdout:
        sys.stdout.buffer.write(data)
        sys.stderr.write(result.gateway.content_hash + "\n")
        return EXIT_OK
    try:
        Path(args.output).write_bytes(data)
    except OSError as exc:
        sys.stderr.write(f"gw: cannot write {args.output}: {exc.strerror}\n")
        return EXIT_ERRORS
    sys.stdout.write(result.gateway.content_hash + "\n")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `gw compile`."""
    parser = subparsers.add_parser("compile", help="compile manifests to a JSON artifact; print its hash")
    add_paths_argument(parser)
    parser.add_argument("-o", "--output", metavar="FILE", help="artifact path (default: stdout)")
    add_format_option(parser)
    parser.set_defaults(handler=run_compile)
