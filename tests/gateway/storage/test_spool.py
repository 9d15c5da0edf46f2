"""The spool file: durable appends, chunked replay, a failed replay keeps everything, torn lines skipped."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from gateway.storage.spool import Spool


def rows(start: int, count: int) -> list[dict[str, Any]]:
    return [{"id": f"row-{n}", "n": n} for n in range(start, start + count)]


def test_replay_hands_over_every_row_in_chunks_then_empties_the_file(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "sub" / "spool.jsonl")
    spool.append(rows(0, 5))
    spool.append(rows(5, 5))
    seen: list[list[dict[str, Any]]] = []
    assert spool.replay(seen.append, chunk=4) == 10
    assert [len(chunk) for chunk in seen] == [4, 4, 2]
    assert [r["n"] for chunk in seen for r in chunk] == list(range(10))
    assert not spool.has_rows()
    assert spool.replay(seen.append) == 0


def test_a_failed_replay_leaves_the_file_whole(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append(rows(0, 10))
    calls = 0

    def insert(chunk: list[dict[str, Any]]) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("database went away mid-replay")

    with pytest.raises(ConnectionError):
        spool.replay(insert, chunk=3)
    assert len((tmp_path / "spool.jsonl").read_text().splitlines()) == 10


def test_a_torn_last_line_is_skipped_and_the_rest_replayed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "spool.jsonl"
    spool = Spool(path)
    spool.append(rows(0, 3))
    with open(path, "ab") as handle:
        handle.write(b'{"id": "row-3", "n"')
    seen: list[dict[str, Any]] = []
    assert spool.replay(seen.extend) == 3
    assert "torn spool line" in caplog.text


def test_appends_from_many_threads_never_interleave(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.jsonl")
    threads = [threading.Thread(target=spool.append, args=(rows(t * 100, 100),)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seen: list[dict[str, Any]] = []
    assert spool.replay(seen.extend) == 800
    assert sorted(r["n"] for r in seen) == list(range(800))
