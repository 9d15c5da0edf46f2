"""`gw diff OLD NEW`: a semantic diff of two configs (directories or git refs), e.g. as a PR comment.

A git ref is read with `git archive` into a temporary directory, never by checking it out, so the
working tree is left alone. Exit 0, or 1 with `--fail-on-risk` when a risky change exists (or a side
does not compile), 2 on usage errors (unknown ref or path).
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.cli.validate import EXIT_ERRORS, EXIT_OK, EXIT_USAGE_ERR

if TYPE_CHECKING:
    from compiler.specs import CompiledGateway

__all__ = ["load_side", "register", "run_diff"]


class SideError(Exception):
    """A side of the diff cannot be read (exit 2) or does not compile (exit 1)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _git(*args: str) -> bytes:
    git = shutil.which("git")
    if git is None:
        raise SideError("git is not installed", EXIT_USAGE_ERR)
    done = subprocess.run([git, *args], capture_output=True, check=False)  # noqa: S603 - fixed git argv
    if done.returncode != 0:
        raise SideError(
            done.stderr.decode(errors="replace").strip() or f"git {args[0]} failed", EXIT_USAGE_ERR
        )
    return done.stdout


def _export(ref: str, subdir: str, into: Path) -> Path:
    """Extract `subdir` of `ref` into `into` (via `git archive`); return the extracted config dir."""
    if ref.startswith("-"):
        raise SideError(f"not a git ref: {ref}", EXIT_USAGE_ERR)
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except SideError:
        raise SideError(f"`{ref}` is neither a directory nor a git ref", EXIT_USAGE_ERR) from None
    prefix = _git("rev-parse", "--show-prefix").decode().strip()
    tree_path = (prefix + subdir).strip("/") or "."
    data = _git("archive", "--format=tar", commit, "--", tree_path)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(into, filter="data")
    return into / tree_path


def load_side(spec: str, subdir: str, tmp: Path) -> CompiledGateway:
    """Compile a directory, or the `subdir` of a git ref; raise SideError when it cannot."""
    from compiler import compile_paths, format_diagnostics

    path = Path(spec)
    if not path.exists():
        path = _export(spec, subdir, tmp / f"side{len(list(tmp.iterdir()))}")
    result = compile_paths([path])
    if result.gateway is None:
        body = format_diagnostics(result.diagnostics, "text")
        raise SideError(f"{spec} does not compile:\n{body}", EXIT_ERRORS)
    return result.gateway


def run_diff(args: argparse.Namespace) -> int:
    """Handle `gw diff`."""
    from compiler.diff import diff_gateways, render

    with tempfile.TemporaryDirectory(prefix="gw-diff-") as tmp:
        try:
            old = load_side(args.old, args.path, Path(tmp))
            new = load_side(args.new, args.path, Path(tmp))
        except SideError as exc:
            sys.stderr.write(f"gw: {exc}\n")
            return exc.code
    result = diff_gateways(old, new, budget_factor=args.budget_factor)
    sys.stdout.write(render(result, args.format) + "\n")
    return EXIT_ERRORS if args.fail_on_risk and result.risky else EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `gw diff`."""
    parser = subparsers.add_parser("diff", help="semantic diff of two configs (directories or git refs)")
    parser.add_argument("old", metavar="OLD", help="config directory or git ref (e.g. origin/main)")
    parser.add_argument("new", metavar="NEW", help="config directory or git ref (e.g. HEAD)")
    parser.add_argument("--format", choices=("markdown", "text", "json"), default="markdown")
    parser.add_argument("--fail-on-risk", action="store_true", help="exit 1 when a risky change exists")
    parser.add_argument(
        "--budget-factor", type=float, default=2.0, metavar="N", help="flag budgets raised more than N× (2)"
    )
    parser.add_argument(
        "--path",
        default="configs",
        metavar="DIR",
        help="config directory inside a git ref (default: configs)",
    )
    parser.set_defaults(handler=run_diff)
