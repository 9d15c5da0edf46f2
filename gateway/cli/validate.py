"""`gw validate [PATH…]`: compile manifests and report every problem; nothing is served.

Imports stay lazy so a cold run only loads the compiler (no server stack).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from compiler import CompiledGateway, CompileResult, Diagnostic

__all__ = [
    "EXIT_ERRORS",
    "EXIT_OK",
    "EXIT_USAGE_ERR",
    "add_format_option",
    "add_paths_argument",
    "register",
    "report",
    "run_validate",
]

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE_ERR = 2


def add_paths_argument(parser: argparse.ArgumentParser) -> None:
    """Add the manifest PATH arguments (default `configs/`)."""
    parser.add_argument("paths", nargs="*", metavar="PATH", default=["configs"], help="files or directories")


def report(
    result: CompileResult, fmt: str, *, extra: tuple[Diagnostic, ...] = (), stream: TextIO | None = None
) -> None:
    """Print diagnostics (to stdout unless `stream`) and, for text, a summary line."""
    from compiler import format_diagnostics, summary_line

    out = stream if stream is not None else sys.stdout
    diags = result.diagnostics + extra
    ok = result.ok and not any(d.severity == "error" for d in extra)
    if fmt == "text":
        body = format_diagnostics(diags, "text")
        out.write((body + "\n" if body else "") + summary_line(diags, compiled=ok) + "\n")
    else:
        body = format_diagnostics(diags, "json" if fmt == "json" else "github")
        out.write(body + "\n" if body else ("[]\n" if fmt == "json" else ""))


def _env_diags(gateway: CompiledGateway) -> tuple[Diagnostic, ...]:
    """`--check-env`: every referenced environment variable is set (values are never read out)."""
    from compiler import Diagnostic

    out: list[Diagnostic] = []
    for provider in gateway.providers:
        refs = [("/api_key", provider.api_key)] + [(f"/headers/{n}", v) for n, v in provider.headers]
        for pointer, ref in refs:
            name = getattr(ref, "env", None)
            if name and name not in os.environ:
                source = provider.source
                out.append(
                    Diagnostic(
                        code="GW-W0906",
                        severity="warning",
                        message=f"environment variable `{name}` is not set",
                        file=source.file,
                        line=source.line,
                        col=source.col,
                        pointer=pointer,
                        hint=f"provider `{provider.id}` will fail to authenticate",
                    )
                )
    return tuple(out)


def run_validate(args: argparse.Namespace) -> int:
    """Handle `gw validate`."""
    from compiler import compile_paths

    result = compile_paths(args.paths)
    extra = _env_diags(result.gateway) if args.check_env and result.gateway is not None else ()
    report(result, args.format, extra=extra)
    warnings = any(d.severity == "warning" for d in result.diagnostics + extra)
    if not result.ok:
        return EXIT_ERRORS
    return EXIT_ERRORS if args.deny_warnings and warnings else EXIT_OK


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """Add `--format text|json|github`."""
    parser.add_argument("--format", choices=("text", "json", "github"), default="text", help="output format")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `gw validate`."""
    parser = subparsers.add_parser("validate", help="check manifests and report every problem")
    add_paths_argument(parser)
    add_format_option(parser)
    parser.add_argument("--deny-warnings", action="store_true", help="exit 1 on warnings too")
    parser.add_argument(
        "--check-env", action="store_true", help="also check referenced env variables are set"
    )
    parser.set_defaults(handler=run_validate)
