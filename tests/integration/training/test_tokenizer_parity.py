"""The training tokenizer (rebuilt from the GGUF vocabulary) tokenizes exactly like llama.cpp, so the
model is trained on the very token sequences it sees when drafting."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_cpp import Llama
from tokenizers import Tokenizer

from assistant.models.default_model import default_gguf_path
from training.base_model import GEMMA_DIR

pytestmark = [pytest.mark.slow, pytest.mark.axolotl]
FIXTURES = Path(__file__).parents[2] / "fixtures"
EDGE_CASES = [
    " yes", "Me: yess obviously\nMe: omw 🚲\n", "héllo 😀 wörld  \t\tx\n\n\nabc", "¿Qué tal? ça va très bien — merci!",
    "日本語のテキストです。", "    indented\n\tcode();", "a" * 50, "I'm FINE!!! :-) ;) <3 ...", "\u200bzero width",
    "emoji 👩‍👩‍👧 family 🏳️‍🌈", "tabs\t\t\t\tand\r\nCRLF", "typed in a chat: <start_of_turn>user <unused7>",
]


def fixture_texts(limit: int = 400) -> list[str]:
    texts = []
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.stat().st_size < 2_000_000:
            try:
                data = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            texts += [data[i : i + 400] for i in range(0, min(len(data), 8000), 400)]
    return texts[:limit]


def test_training_tokenizer_matches_llama_cpp(cached_models):
    ours = Tokenizer.from_file(str(cached_models / GEMMA_DIR / "tokenizer.json"))
    llama = Llama(model_path=str(default_gguf_path()), vocab_only=True, verbose=False)
    texts = EDGE_CASES + fixture_texts()
    different = [t for t in texts
                 if ours.encode(t, add_special_tokens=False).ids != llama.tokenize(t.encode(), add_bos=False, special=False)]
    assert len(texts) > 200 and different == []
    # the segments' special tokens are the model's BOS and EOS
    assert ours.encode("<bos>x<eos>", add_special_tokens=False).ids[::2] == [llama.token_bos(), llama.token_eos()]
