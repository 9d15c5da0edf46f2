"""A process that records ledger rows and then waits to be killed (for the write-ahead tests).

    python -m tests.gateway.storage.ledger_child DB_URL SPOOL COUNT BATCH_SIZE

Records the full batches and waits until the writer has inserted them, then records the rest without
yielding to the writer (those rows are only in memory and written ahead), prints
`recorded <inserted>`, and sleeps.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from gateway.storage.database import make_async_engine
from gateway.storage.ledger import LedgerSink
from tests.gateway.storage.test_ledger import usage_row


async def main(url: str, spool: Path, count: int, batch_size: int) -> None:
    """Record `count` rows, let full batches land, report, then wait forever."""
    sink = LedgerSink(make_async_engine(url), spool, batch_size=batch_size, flush_interval_s=3600)
    await sink.start()
    full = count - count % batch_size
    for n in range(full):
        sink.record(usage_row(n))
        await asyncio.sleep(0)
    while sink.stats.inserted < full:
        await asyncio.sleep(0.01)
    for n in range(full, count):
        sink.record(usage_row(n))
    print("recorded", sink.stats.inserted, flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
