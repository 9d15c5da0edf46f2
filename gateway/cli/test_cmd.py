"""`gw test [PATH…]`: run declarative config test cases against the compiled config, in-process.

Each case (a `kind: test` manifest, by default under `configs/tests/`) gets a fresh `Sandbox`: the
real executor, guardrails, cache and budgets over simulated upstreams. A failing expectation prints
what was expected and what happened; exit 0 when every case passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from gateway.cli.validate import EXIT_ERRORS, EXIT_OK, EXIT_USAGE_ERR, report

if TYPE_CHECKING:
    from compiler.cases import CaseExpect, TestCaseSpec
    from compiler.specs import CompiledGateway
    from gateway.cli.sandbox import Trial

__all__ = ["CaseResult", "compare", "register", "run_case", "run_cases", "run_test"]


@dataclass(frozen=True)
class CaseResult:
    """One case's outcome: the differences (empty when it passed) and how long it took."""

    case: TestCaseSpec
    differences: tuple[str, ...]
    elapsed_ms: float
    trial: Trial

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.differences


def _list_diff(name: str, expected: tuple[str, ...], actual: list[str]) -> list[str]:
    lines = [f"{name}: (- expected, + actual)"]
    for line in difflib.ndiff(list(expected), actual):
        if line[:1] in "-+ ":
            lines.append(f"  {line}")
    return lines


def compare(expect: CaseExpect, trial: Trial) -> list[str]:
    """Readable differences between a case's expectations and what the request did."""
    actual: dict[str, Any] = {  # Any: one value per expectation field
        "status": trial.status,
        "target": trial.target,
        "provider": trial.provider,
        "retries": trial.retries,
        "guardrails": trial.guardrails,
        "cache": trial.cache,
        "budget": trial.budget,
        "error_code": trial.error_code,
    }
    out: list[str] = []
    for name, got in actual.items():
        wanted = getattr(expect, name)
        if wanted is not None and wanted != got:
            out.append(f"{name}: expected {wanted!r}, got {got!r}")
    if expect.tried is not None and list(expect.tried) != trial.tried:
        out += _list_diff("tried", expect.tried, trial.tried)
    if out and trial.error:
        out.append(f"(the request failed: {trial.error})")
    return out


async def run_case(compiled: CompiledGateway, case: TestCaseSpec, root: Path | None = None) -> CaseResult:
    """Run one case in a fresh sandbox and compare the last request with its expectations."""
    from gateway.cli.sandbox import Sandbox

    started = time.perf_counter()
    sandbox = Sandbox(compiled, outcomes=dict(case.upstreams), seed=case.seed, config_root=root)
    try:
        body = msgspec.json.decode(case.body)
        for _ in range(case.repeat):
            trial = await sandbox.send(
                case.route,
                body,
                metadata=dict(case.metadata),
                headers=dict(case.headers),
                endpoint=case.endpoint,
            )
    finally:
        await sandbox.aclose()
    elapsed = (time.perf_counter() - started) * 1000.0
    return CaseResult(
        case=case, differences=tuple(compare(case.expect, trial)), elapsed_ms=elapsed, trial=trial
    )


async def run_cases(
    compiled: CompiledGateway, cases: tuple[TestCaseSpec, ...], root: Path | None = None
) -> list[CaseResult]:
    """Run cases one after another (each in its own sandbox)."""
    return [await run_case(compiled, case, root) for case in cases]


def _render_text(results: list[CaseResult], elapsed_ms: float) -> str:
    lines: list[str] = []
    for r in results:
        mark = "PASS" if r.passed else "FAIL"
        lines.append(f"{mark} {r.case.id}  ({r.case.source})  {r.elapsed_ms:.1f} ms")
        if not r.passed and r.case.description:
            lines.append(f"     {r.case.description}")
        lines += [f"     {d}" for d in r.differences]
    failed = sum(not r.passed for r in results)
    lines.append(f"gw test: {len(results) - failed} passed, {failed} failed in {elapsed_ms:.0f} ms")
    return "\n".join(lines)


def _render_json(results: list[CaseResult]) -> str:
    rows = [
        {
            "id": r.case.id,
            "source": str(r.case.source),
            "passed": r.passed,
            "differences": list(r.differences),
            "elapsed_ms": round(r.elapsed_ms, 3),
            "status": r.trial.status,
            "target": r.trial.target,
            "tried": r.trial.tried,
        }
        for r in results
    ]
    return msgspec.json.encode({"cases": rows, "failed": sum(not r.passed for r in results)}).decode()


def _render_github(results: list[CaseResult]) -> str:
    lines = []
    for r in results:
        if not r.passed:
            src = r.case.source
            detail = "%0A".join(r.differences)
            lines.append(
                f"::error file={src.file},line={src.line},col={src.col},title=gw test {r.case.id}::{detail}"
            )
    return "\n".join([*lines, _render_text(results, sum(r.elapsed_ms for r in results))])


def run_test(args: argparse.Namespace) -> int:
    """Handle `gw test`."""
    from compiler import compile_paths
    from compiler.suite import compile_suite_paths

    result = compile_paths([args.config])
    if result.gateway is None:
        report(result, "text")
        return EXIT_ERRORS
    paths = args.paths or [str(Path(args.config) / "tests")]
    suite = compile_suite_paths(paths, result.gateway)
    if not suite.ok:
        from compiler import format_diagnostics, summary_line

        sys.stdout.write(format_diagnostics(suite.diagnostics, "text") + "\n")
        sys.stdout.write(summary_line(suite.diagnostics, compiled=False) + "\n")
        return EXIT_ERRORS
    cases = tuple(c for c in suite.cases if not args.k or args.k in c.id)
    if not cases:
        sys.stderr.write(f"gw: no test cases found under {', '.join(paths)}\n")
        return EXIT_USAGE_ERR
    logging.getLogger("gw").setLevel(logging.ERROR)  # budget/pricing warnings are not test output
    import gateway.cli.sandbox  # noqa: F401 - imported before the clock starts: cases time themselves

    started = time.perf_counter()
    results = asyncio.run(run_cases(result.gateway, cases, Path(args.config)))
    elapsed = (time.perf_counter() - started) * 1000.0
    if args.format == "json":
        sys.stdout.write(_render_json(results) + "\n")
    elif args.format == "github":
        sys.stdout.write(_render_github(results) + "\n")
    else:
        sys.stdout.write(_render_text(results, elapsed) + "\n")
    return EXIT_OK if all(r.passed for r in results) else EXIT_ERRORS


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `gw test`."""
    parser = subparsers.add_parser(
        "test", help="run config test cases (kind: test) against simulated upstreams, in-process"
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        default=[],
        help="test files or directories (default: DIR/tests)",
    )
    parser.add_argument(
        "--config", default="configs", metavar="DIR", help="config directory (default: configs)"
    )
    parser.add_argument("-k", metavar="TEXT", help="only cases whose id contains TEXT")
    parser.add_argument("--format", choices=("text", "json", "github"), default="text")
    parser.set_defaults(handler=run_test)
