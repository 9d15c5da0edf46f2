"""`gw usage report [--key] [--since] [--until] [--group-by route|model|key|day|provider] [--format]`.

Prints the same `UsageReport` that `GET /admin/usage` returns (both call
`gateway.storage.reports.usage_report`). Importing this module is cheap.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from gateway.cli.db import EXIT_OK, add_url_option, run_storage

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from gateway.storage.reports import UsageGroup, UsageReport

__all__ = ["register"]

_GROUPINGS = ("route", "model", "key", "day", "provider")
_HEAD = (
    "requests",
    "errors",
    "prompt",
    "cached",
    "completion",
    "reasoning",
    "cost_usd",
    "unpriced",
    "saved_usd",
)


def _cells(group: UsageGroup, label: str) -> list[str]:
    return [
        label,
        str(group.requests),
        str(group.errors),
        str(group.prompt_tokens),
        str(group.cached_read_tokens),
        str(group.completion_tokens),
        str(group.reasoning_tokens),
        f"{group.cost_usd:.6f}",
        str(group.unpriced_requests),
        f"{group.saved_usd:.6f}",
    ]


def _table(report: UsageReport) -> None:
    rows = [[report.group_by, *_HEAD]]
    rows += [_cells(g, g.group if g.group is not None else "(none)") for g in report.groups]
    rows.append(_cells(report.total, "TOTAL"))
    widths = [max(len(r[n]) for r in rows) for n in range(len(rows[0]))]
    for row in rows:
        first = row[0].ljust(widths[0])
        rest = [v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
        sys.stdout.write("  ".join([first, *rest]) + "\n")
    if report.total.unpriced_requests:
        sys.stdout.write(
            f"note: {report.total.unpriced_requests} request(s) had no price; their cost is unknown, not 0\n"
        )


def _report(args: argparse.Namespace) -> int:
    import msgspec

    from gateway.storage.reports import parse_since, usage_report

    async def work(engine: AsyncEngine) -> int:
        since = parse_since(args.since) if args.since else None
        until = parse_since(args.until) if args.until else None
        report = await usage_report(engine, group_by=args.group_by, key_id=args.key, since=since, until=until)
        if args.format == "json":
            sys.stdout.write(msgspec.json.format(msgspec.json.encode(report)).decode() + "\n")
        else:
            _table(report)
        return EXIT_OK

    return int(run_storage(args, work))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `gw usage …` to the top-level parser."""
    usage = subparsers.add_parser("usage", help="usage and cost reports from the ledger")
    commands = usage.add_subparsers(dest="usage_command", metavar="COMMAND", required=True)
    report = commands.add_parser("report", help="totals grouped by route, model, key, day or provider")
    report.add_argument("--key", metavar="KEY_ID", help="only this key")
    report.add_argument("--since", metavar="WHEN", help="`7d`, `24h`, or an ISO date/time (UTC)")
    report.add_argument("--until", metavar="WHEN", help="end (exclusive), same forms as --since")
    report.add_argument("--group-by", dest="group_by", choices=_GROUPINGS, default="route")
    report.add_argument("--format", choices=("table", "json"), default="table")
    add_url_option(report)
    report.set_defaults(handler=_report)
