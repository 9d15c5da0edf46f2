"""The semantic index: probe-text vectors in a LanceDB table, filtered by exact context.

The table name carries the model's checksum, so vectors of another model are never compared with
these. One row per stored response: `context` (hash of everything that must match exactly), `text` (the
probe text, kept for the fact check), `vector`, `response` (encoded JSON) and `expires_at`. A lookup
is a cosine nearest-neighbour search restricted to the probe's `context` (see `search`); the best few
live candidates above the threshold go through `facts_agree`, the first that passes is the hit.

Every method blocks (embedding, LanceDB I/O): the cache calls them from its worker threads. LanceDB
is imported on first use (~2 s). Single-row appends fragment the table, so after `optimize_every`
appends `add` says maintenance is due and the cache runs `maintain` on a separate thread: it drops
expired rows, compacts (which also folds new rows into the vector index), and once the table holds
`index_after` rows builds an IVF index on the vectors and a B-tree index on `context`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

import msgspec

from gateway.cache.embedder import DIMENSIONS, MODEL_SHA256, Embedder
from gateway.cache.keys import SemanticProbe
from gateway.cache.verify import facts_agree

__all__ = ["SemanticIndex", "SemanticMatch"]

_log = logging.getLogger(__name__)


class SemanticMatch(msgspec.Struct, frozen=True, kw_only=True):
    """A verified nearest neighbour: the stored response and its cosine similarity."""

    response: bytes
    similarity: float


class SemanticIndex:
    """Vectors of cached prompts in LanceDB, searched by cosine similarity within one context."""

    def __init__(
        self,
        uri: str,
        embedder: Embedder,
        *,
        table: str = f"responses_minilm_l6_int8_{MODEL_SHA256[:8]}",
        index_after: int = 50_000,
        optimize_every: int = 1_000,
        candidates: int = 4,
        wide: int = 10,
        nprobes: int = 8,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.uri = uri
        self.embedder = embedder
        self._table_name = table
        self._index_after = index_after
        self._optimize_every = optimize_every
        self._candidates = candidates
        self._wide = max(wide, candidates)
        self._nprobes = nprobes
        self._clock = clock
        self._table: Any = None  # Any: lancedb.table.Table, imported lazily
        self._rows = 0
        self._appends = 0
        self._indexed = False

    def open(self) -> None:
        """Connect and open (or create) the table; blocking, idempotent."""
        if self._table is not None:
            return
        import lancedb
        import pyarrow as pa

        schema = pa.schema(
            [
                pa.field("context", pa.string()),
                pa.field("text", pa.string()),
                pa.field("vector", pa.list_(pa.float32(), DIMENSIONS)),
                pa.field("response", pa.binary()),
                pa.field("expires_at", pa.float64()),
            ]
        )
        db = lancedb.connect(self.uri)
        table = db.create_table(self._table_name, schema=schema, exist_ok=True)
        self._rows = table.count_rows()
        self._indexed = any(str(i.index_type).upper().startswith("IVF") for i in table.list_indices())
        self._table = table

    def embed(self, text: str) -> list[float]:
        """Embed one probe text."""
        return self.embedder.embed([text])[0]

    def search(self, probe: SemanticProbe, vector: list[float], threshold: float) -> SemanticMatch | None:
        """Return the most similar live entry in the probe's context that passes the fact check.

        First an unfiltered search for the `wide` nearest rows: if any of them is in the probe's
        context, the best in-context row is among them (nothing in the context can rank above it);
        if none is and the farthest is already below the threshold, no row in the context can reach
        it. Only when the neighbourhood is crowded with other contexts' rows above the threshold
        does a second search pre-filter on `context` (B-tree indexed). The pre-filter alone costs
        ~10 ms on a 1M-row table whose rows share one context; the unfiltered search ~4 ms.
        """
        self.open()
        rows = self._query(vector, None, self._wide)
        mine = [r for r in rows if r["context"] == probe.context]
        if not mine and len(rows) == self._wide and 1.0 - float(rows[-1]["_distance"]) >= threshold:
            mine = self._query(vector, probe.context, self._candidates)
        now = self._clock()
        for row in mine[: self._candidates]:
            similarity = 1.0 - float(row["_distance"])
            if similarity < threshold:
                break
            # Expiry is checked on the candidates: filtering every row by it costs more than the search.
            if row["expires_at"] > now and facts_agree(probe.text, row["text"], similarity):
                return SemanticMatch(response=row["response"], similarity=round(similarity, 4))
        return None

    def _query(
        self, vector: list[float], context: str | None, limit: int
    ) -> list[dict[str, Any]]:  # Any: row
        query = self._table.search(vector, vector_column_name="vector").distance_type("cosine")
        if context is not None:
            query = query.where(f"context = '{context}'", prefilter=True)
        query = query.select(["context", "text", "response", "expires_at", "_distance"]).limit(limit)
        if self._indexed:
            query = query.nprobes(self._nprobes)
        rows: list[dict[str, Any]] = query.to_list()  # Any: row
        return rows

    def add(
        self,
        probe: SemanticProbe,
        vector: list[float],
        response: bytes,
        ttl_s: float,
        *,
        replace: bool = False,
    ) -> bool:
        """Append one entry (first deleting rows with the same text when `replace`).

        Returns whether maintenance (`maintain`) is due; the caller runs it off the lookup thread.
        """
        self.open()
        if replace:
            text = probe.text.replace("'", "''")
            self._table.delete(f"context = '{probe.context}' AND text = '{text}'")
        row = {
            "context": probe.context,
            "text": probe.text,
            "vector": vector,
            "response": response,
            "expires_at": self._clock() + ttl_s,
        }
        self._table.add([row])
        self._rows += 1
        self._appends += 1
        return self._appends >= self._optimize_every

    def add_many(self, rows: Any) -> None:  # Any: a pyarrow.Table or a list of row dicts
        """Append prepared rows in one batch (bulk loads, benchmarks)."""
        self.open()
        self._table.add(rows)
        self._rows += len(rows) if isinstance(rows, list) else int(rows.num_rows)

    def maintain(self) -> None:
        """Drop expired rows, build the indexes once the table is large, and compact."""
        self.open()
        self._appends = 0
        self._table.delete(f"expires_at <= {self._clock()!r}")
        self._rows = self._table.count_rows()
        if not self._indexed and self._rows >= self._index_after:
            self._build_indexes()
        self._table.optimize()

    def _build_indexes(self) -> None:
        partitions = max(16, int(math.sqrt(self._rows) / 3))
        _log.info("building IVF index on %d semantic cache rows (%d partitions)", self._rows, partitions)
        from lancedb.index import BTree, IvfFlat

        # Fewer k-means iterations and a smaller sample than the defaults: training on 1M rows with
        # the defaults takes many minutes on two cores, and the search refines with exact distances.
        config = IvfFlat(distance_type="cosine", num_partitions=partitions, max_iterations=20, sample_rate=64)
        self._table.create_index("vector", config=config, replace=True)
        self._table.create_index("context", config=BTree(), replace=True)
        self._indexed = True

    @property
    def indexed(self) -> bool:
        """Whether the vectors have an IVF index."""
        return self._indexed

    @property
    def rows(self) -> int:
        """Rows in the table (as last counted)."""
        return self._rows
