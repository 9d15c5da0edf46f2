"""A parsed manifest document: plain data plus the source position of every key and value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from compiler.diagnostics import Diagnostic, Severity
from compiler.did_you_mean import suggest
from compiler.pointer import parent
from compiler.specs import Source

__all__ = ["Document", "Position"]

Position = tuple[int, int]


@dataclass(frozen=True)
class Document:
    """One YAML document (or one header config) and where each of its nodes came from."""

    file: str
    data: Any  # Any: parsed YAML/JSON, validated later against JSON Schema
    values: dict[str, Position] = field(default_factory=dict)
    """Pointer → 1-based (line, col) of the value."""
    keys: dict[str, Position] = field(default_factory=dict)
    """Pointer → 1-based (line, col) of the mapping key that holds the value."""
    display: dict[str, str] = field(default_factory=dict)
    """Pointer → pointer shown to users (header configs rename camelCase keys)."""
    broken: bool = False
    """Loading already reported errors here: later phases skip it to avoid cascades."""

    def position(self, pointer: str, *, key: bool = False) -> Position:
        """Return the position of a value (or of its key), else of the nearest ancestor."""
        if key and pointer in self.keys:
            return self.keys[pointer]
        probe = pointer
        while True:
            if probe in self.values:
                return self.values[probe]
            if not probe:
                return (1, 1) if self.values or self.keys else (0, 0)
            probe = parent(probe)

    def shown(self, pointer: str) -> str:
        """Return the pointer as the user wrote it."""
        return self.display.get(pointer, pointer)

    def source(self, pointer: str) -> Source:
        """Return the Source of the node at `pointer`."""
        line, col = self.position(pointer)
        return Source(file=self.file, line=line, col=col, pointer=self.shown(pointer))

    def diag(
        self,
        code: str,
        pointer: str,
        message: str,
        *,
        hint: str | None = None,
        key: bool = False,
        notes: tuple[str, ...] = (),
    ) -> Diagnostic:
        """Build a diagnostic located at `pointer` (at its key when `key`)."""
        line, col = self.position(pointer, key=key)
        severity: Severity = "warning" if code.startswith("GW-W") else "error"
        return Diagnostic(
            code=code,
            severity=severity,
            message=message,
            file=self.file,
            line=line,
            col=col,
            pointer=self.shown(pointer),
            hint=hint,
            notes=notes,
        )

    def unknown(self, code: str, pointer: str, kind: str, name: str, known: Iterable[str]) -> Diagnostic:
        """Diagnose a reference to an undefined `kind`, suggesting the closest defined name."""
        hint = suggest(name, known, f"defined {kind}s")
        return self.diag(code, pointer, f"unknown {kind} `{name}`", hint=hint)

    def where(self, pointer: str) -> str:
        """Return `file:line:col` of a node, for notes."""
        line, col = self.position(pointer)
        return f"{self.file}:{line}:{col}"
