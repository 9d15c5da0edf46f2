"""The ledger's local spool: an append-only JSON-lines file that holds rows while the database is down.

Every append is one batch, flushed and fsync'd before it returns, under an exclusive `flock` so two
gw processes on one host may share the file. Replay reads it in chunks, hands each to a callback that
inserts it (idempotently, by row id), and truncates the file only when every chunk went in: a crash
or a new outage mid-replay leaves the file whole, and the next replay skips rows already inserted.
Blocking: call from a worker thread (`asyncio.to_thread`), never on the event loop.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import msgspec

__all__ = ["Spool", "decode_lines"]

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])  # Any: ledger column values (str, int, float, None)


class Spool:
    """An fsync'd JSON-lines file of ledger rows (column dicts)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def has_rows(self) -> bool:
        """Whether anything waits to be replayed."""
        try:
            return self.path.stat().st_size > 0
        except OSError:  # missing, or its directory is unusable: nothing can be waiting there
            return False

    @contextlib.contextmanager
    def _locked(self, mode: str) -> Iterator[IO[bytes]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, mode) as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def append(self, rows: list[dict[str, Any]]) -> None:  # Any: column values
        """Append one batch durably (written, flushed and fsync'd before returning)."""
        if not rows:
            return
        payload = b"".join(_encoder.encode(row) + b"\n" for row in rows)
        with self._locked("ab") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())

    def replay(
        self, insert: Callable[[list[dict[str, Any]]], None], chunk: int = 1000
    ) -> int:  # Any: columns
        """Feed every spooled row to `insert` in chunks, then empty the file; return the row count.

        If `insert` raises, the file is left as it was and the exception propagates.
        """
        if not self.has_rows():
            return 0
        with self._locked("r+b") as handle:
            total = 0
            batch: list[dict[str, Any]] = []  # Any: column values
            for row in decode_lines(handle, self.path):
                batch.append(row)
                if len(batch) >= chunk:
                    insert(batch)
                    total += len(batch)
                    batch = []
            if batch:
                insert(batch)
                total += len(batch)
            handle.truncate(0)
            handle.flush()
            os.fsync(handle.fileno())
            return total


def decode_lines(handle: IO[bytes], path: Path) -> Iterator[dict[str, Any]]:  # Any: column values
    """The rows of a spool or write-ahead file; a line torn by a crash mid-write is skipped."""
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield _decoder.decode(line)
        except msgspec.DecodeError:
            # Only a write torn by a crash can be malformed; it was never acknowledged.
            log.warning("skipping a torn spool line", extra={"gw.spool": str(path), "gw.line": number})
