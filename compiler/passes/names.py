"""Names: ids unique per kind across all files, and at most one policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.diagnostics import Diagnostic
from compiler.passes.kinds import Entry

__all__ = ["Symbols", "build_symbols"]


@dataclass(frozen=True)
class Symbols:
    """Every defined id per kind (including manifests that failed validation, to avoid cascades)."""

    ids: dict[str, dict[str, Entry]] = field(default_factory=dict)
    """Kind → id → the first entry that defined it."""

    def of(self, kind: str) -> dict[str, Entry]:
        """Return the ids defined for `kind`."""
        return self.ids.get(kind, {})


def build_symbols(entries: list[Entry]) -> tuple[Symbols, list[Entry], list[Diagnostic]]:
    """Collect ids; drop later duplicates (reported with a note pointing at the first definition)."""
    symbols = Symbols()
    kept: list[Entry] = []
    diags: list[Diagnostic] = []
    policy: Entry | None = None
    for entry in entries:
        if entry.kind == "policy":
            if policy is not None:
                diags.append(
                    entry.doc.diag(
                        "GW-E0202",
                        "/kind",
                        "more than one policy manifest",
                        hint="merge them: a gateway has one policy",
                        notes=(f"first policy at {policy.doc.where('')}",),
                    )
                )
                continue
            policy = entry
        if entry.id is None:
            kept.append(entry)
            continue
        table = symbols.ids.setdefault(entry.kind, {})
        first = table.get(entry.id)
        if first is not None:
            diags.append(
                entry.doc.diag(
                    "GW-E0201",
                    "/id",
                    f"{entry.kind} `{entry.id}` is defined more than once",
                    hint="rename one of them",
                    notes=(f"first defined at {first.doc.where('/id')}",),
                )
            )
            continue
        table[entry.id] = entry
        kept.append(entry)
    return symbols, kept, diags
