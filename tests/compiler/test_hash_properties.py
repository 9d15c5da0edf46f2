"""The content hash is stable: the same meaning gives the same hash, whatever the layout."""

from __future__ import annotations

import random
from typing import Any

import msgspec
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import compile_sources
from tests.compiler.samples import SCHEMAS, config_files

_FILES = config_files()
_BASELINE = compile_sources(_FILES, schemas=SCHEMAS)
_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _shuffle(value: Any, rng: random.Random) -> Any:  # Any: parsed YAML
    """Reorder every mapping's keys (lists keep their order: it carries meaning)."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: _shuffle(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [_shuffle(v, rng) for v in value]
    return value


def _relayout(files: dict[str, str], rng: random.Random) -> dict[str, str]:
    """Shuffle keys, restyle the YAML and redistribute the documents over new files."""
    docs = [_shuffle(d, rng) for text in files.values() for d in yaml.safe_load_all(text)]
    rng.shuffle(docs)
    count = rng.randint(1, len(docs))
    buckets: list[list[Any]] = [[] for _ in range(count)]
    for doc in docs:
        buckets[rng.randrange(count)].append(doc)
    style = rng.choice([None, True, False])
    indent = rng.choice([2, 4])
    return {
        f"dir{rng.randint(0, 3)}/part{i}.yaml": yaml.safe_dump_all(
            bucket, sort_keys=False, default_flow_style=style, indent=indent, width=rng.choice([40, 80, 200])
        )
        for i, bucket in enumerate(buckets)
        if bucket
    }


def test_compiling_twice_gives_the_same_hash_and_artifact() -> None:
    again = compile_sources(_FILES, schemas=SCHEMAS)
    assert _BASELINE.gateway is not None and again.gateway is not None
    assert again.gateway.content_hash == _BASELINE.gateway.content_hash
    encoder = msgspec.json.Encoder(order="deterministic")
    assert encoder.encode(again.gateway) == encoder.encode(_BASELINE.gateway)


@_SETTINGS
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_reordering_keys_documents_and_files_keeps_the_hash(seed: int) -> None:
    relaid = compile_sources(_relayout(_FILES, random.Random(seed)), schemas=SCHEMAS)
    assert relaid.ok, relaid.diagnostics
    assert relaid.gateway is not None and _BASELINE.gateway is not None
    assert relaid.gateway.content_hash == _BASELINE.gateway.content_hash


@_SETTINGS
@given(weight=st.floats(min_value=0.01, max_value=100).filter(lambda w: w != 2.0))
def test_changing_a_value_changes_the_hash(weight: float) -> None:
    files = dict(_FILES)
    files["configs/routes/balanced.yaml"] = files["configs/routes/balanced.yaml"].replace(
        "weight: 2", f"weight: {weight!r}", 1
    )
    changed = compile_sources(files, schemas=SCHEMAS)
    assert changed.gateway is not None and _BASELINE.gateway is not None
    assert changed.gateway.content_hash != _BASELINE.gateway.content_hash


def test_comments_and_blank_lines_do_not_change_the_hash() -> None:
    # blank lines inside a block scalar (a prompt's `content: |`) are content: such files get the comment only
    files = {
        name: "# leading comment\n\n" + (text if ": |" in text else text.replace("\n", "\n\n"))
        for name, text in _FILES.items()
    }
    commented = compile_sources(files, schemas=SCHEMAS)
    assert commented.gateway is not None and _BASELINE.gateway is not None
    assert commented.gateway.content_hash == _BASELINE.gateway.content_hash
