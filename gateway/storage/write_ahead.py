"""The ledger's write-ahead log: every row is on disk before the response that produced it leaves.

`LedgerSink.record` appends the row (one JSON line, one `write(2)`) to this process's open segment
before returning, so a process killed outright (SIGKILL, OOM kill, a crash) loses no row that the
in-memory batch had not yet inserted: the kernel holds the bytes. The segments are not fsync'd per row;
a whole-machine failure can still lose the last batching window (and a pod's emptyDir with it).

Segments live in one directory, named `<pid>-<random>.jsonl`, each held under an exclusive `flock`
by the process writing it. The ledger writer rotates to a fresh segment when it takes the pending rows
and retires (deletes) the old ones once those rows are in the database or the spool. A segment whose
lock can be taken belongs to no live process: `adopt_orphans` claims it and returns its rows, which
the ledger re-inserts by row id (duplicates of rows already committed are skipped). Several processes
(`--workers N`, or a restarted container on the same volume) may share the directory.
Blocking calls: `write` is one small `write(2)` on the event loop; `adopt_orphans` belongs in a thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from gateway.storage.spool import decode_lines

__all__ = ["Segment", "WriteAhead"]

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()


@dataclass(slots=True)
class Segment:
    """One open, locked segment file."""

    path: Path
    fd: int

    def release(self) -> None:
        """Delete the file, then drop the lock (a reader that opened it meanwhile replays duplicates)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            os.close(self.fd)


class WriteAhead:
    """Segmented, lock-owned JSON-lines files of ledger rows not yet known to be stored."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._current: Segment | None = None
        self._held: list[Segment] = []

    def write(self, row: dict[str, Any]) -> None:  # Any: ledger column values
        """Append one row to the open segment (opening one first if needed).

        Raises OSError when the disk refuses; the caller keeps the row in memory regardless."""
        if self._current is None:
            self._current = self._open_segment()
        os.write(self._current.fd, _encoder.encode(row) + b"\n")

    def rotate(self) -> None:
        """Close the open segment for writing; its rows are now the writer's to deliver."""
        if self._current is not None:
            self._held.append(self._current)
            self._current = None

    def retire(self) -> None:
        """Every row of the held segments is stored (database or spool): delete them."""
        held, self._held = self._held, []
        for segment in held:
            segment.release()

    def close(self) -> None:
        """Retire everything, including the open segment (call only when nothing is pending)."""
        self.rotate()
        self.retire()

    def adopt_orphans(self) -> list[dict[str, Any]]:  # Any: ledger column values
        """Claim the segments no live process holds; return their rows (held until `retire`)."""
        rows: list[dict[str, Any]] = []  # Any: ledger column values
        try:
            candidates = sorted(self.directory.glob("*.jsonl"))
        except OSError:
            return rows
        mine = {segment.path for segment in self._held}
        if self._current is not None:
            mine.add(self._current.path)
        for path in candidates:
            if path in mine:
                continue
            segment = _claim(path)
            if segment is None:
                continue
            with os.fdopen(os.dup(segment.fd), "rb") as handle:
                rows.extend(decode_lines(handle, path))
            self._held.append(segment)
        if rows:
            log.warning(
                "recovered usage rows from a process that stopped without flushing",
                extra={"gw.rows": len(rows)},
            )
        return rows

    def _open_segment(self) -> Segment:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{os.getpid()}-{secrets.token_hex(6)}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return Segment(path, fd)


def _claim(path: Path) -> Segment | None:
    """Open and lock `path` without waiting; None if a live process holds it (or it vanished)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    if not path.exists():  # retired by its owner between our open and our lock
        os.close(fd)
        return None
    return Segment(path, fd)
