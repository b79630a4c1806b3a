"""Hugging Face base models for training, built once inside the Axolotl environment.

Run as a script by that environment's Python (`python -P hf_base.py ...`), so it imports nothing
from predraft: the folder it writes is read by the same transformers that Axolotl trains with.

- `gemma GGUF SHA256 OUT`: the default model's weights dequantized from its GGUF (the exact weights that
  llama.cpp serves, so a LoRA trained on them fits the served model), plus a tokenizer rebuilt from
  the GGUF vocabulary that tokenizes exactly as llama.cpp does.
- `tiny OUT`: a randomly initialised two-layer Llama with a byte-level tokenizer, for smoke tests:
  seconds per step, nothing to download.

Each folder gets a `predraft-base.json` stamp (what it was built from); it is written last, so a
folder without one is an interrupted build.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

STAMP = "predraft-base.json"

# llama.cpp token types in tokenizer.ggml.token_type
_NORMAL, _USER_DEFINED = 1, 4


def gemma_tokenizer(gguf_path: Path):
    """A fast tokenizer equal to llama.cpp's SentencePiece-BPE tokenizer for this GGUF.

    transformers' own GGUF conversion builds a Unigram model from the scores, which splits
    " yes" into "▁y" + "es" where llama.cpp gives "▁yes". llama.cpp merges, at each step, the
    adjacent pair whose concatenation is the highest-scoring token; a BPE whose merges are every
    (left, right) split of each token, ranked by that token's score, makes the same choices.
    """
    from gguf import GGUFReader
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, processors
    from transformers import PreTrainedTokenizerFast

    fields = GGUFReader(gguf_path).fields
    tokens = fields["tokenizer.ggml.tokens"].contents()
    scores = fields["tokenizer.ggml.scores"].contents()
    types = fields["tokenizer.ggml.token_type"].contents()
    special = {name: tokens[fields[f"tokenizer.ggml.{name}_token_id"].contents()]
               for name in ("bos", "eos", "unknown", "padding")}
    vocab = {token: i for i, token in enumerate(tokens)}
    normal = {token for token, kind in zip(tokens, types) if kind == _NORMAL}
    merges = []
    for i in sorted((i for i, kind in enumerate(types) if kind == _NORMAL), key=lambda i: (-scores[i], i)):
        token = tokens[i]
        merges += [(token[:k], token[k:]) for k in range(1, len(token)) if token[:k] in normal and token[k:] in normal]
    backend = Tokenizer(models.BPE(vocab=vocab, merges=merges, byte_fallback=True, fuse_unk=True,
                                   unk_token=special["unknown"]))
    backend.normalizer = normalizers.Replace(" ", "▁")  # no dummy prefix: add_space_prefix is false for Gemma 3
    backend.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    # llama.cpp matches user-defined tokens ("\n\n", runs of tabs) in any text, before BPE. Control tokens
    # it never matches in chat text (predraft tokenizes with special=False), so only the four that the
    # training segments spell out are special here: "<start_of_turn>" typed in a chat stays plain text.
    backend.add_tokens([AddedToken(t, normalized=False) for t, kind in zip(tokens, types) if kind == _USER_DEFINED])
    backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special.values()])
    bos = special["bos"]
    backend.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, vocab[bos])]
    )
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token=bos, eos_token=special["eos"],
                                   unk_token=special["unknown"], pad_token=special["padding"])


def build_gemma(gguf_path: Path, gguf_sha256: str, out_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    staging = _staging(out_dir)
    print(f"reading the tokenizer from {gguf_path.name}", flush=True)
    gemma_tokenizer(gguf_path).save_pretrained(staging)
    print(f"dequantizing the weights of {gguf_path.name}", flush=True)
    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    # The weights are plain fp32 now; transformers still marks the model as GGUF-quantized and
    # refuses to save it until the marks are gone.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(staging)
    _finish(staging, out_dir, {"kind": "gemma", "gguf": str(gguf_path), "gguf_sha256": gguf_sha256})


def byte_tokenizer():
    """One token per byte plus <pad>/<bos>/<eos>: no training, no files, any text."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<bos>", "<eos>"]
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {t: i for i, t in enumerate(specials + sorted(alphabet))}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    backend.post_processor = processors.TemplateProcessing(single="<bos> $A", pair="<bos> $A <bos> $B",
                                                           special_tokens=[("<bos>", 1)])
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>")


def build_tiny(out_dir: Path) -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    staging = _staging(out_dir)
    tokenizer = byte_tokenizer()
    tokenizer.save_pretrained(staging)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096, tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(staging)
    _finish(staging, out_dir, {"kind": "tiny"})


def _staging(out_dir: Path) -> Path:
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def _finish(staging: Path, out_dir: Path, stamp: dict) -> None:
    (staging / STAMP).write_text(json.dumps(stamp, indent=2))
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    print(f"wrote {out_dir}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    gemma = sub.add_parser("gemma")
    gemma.add_argument("gguf", type=Path)
    gemma.add_argument("sha256", help="the GGUF's sha256 (hashed and cached by the caller), for the stamp")
    gemma.add_argument("out", type=Path)
    tiny = sub.add_parser("tiny")
    tiny.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.kind == "gemma":
        build_gemma(args.gguf, args.sha256, args.out)
    else:
        build_tiny(args.out)


if __name__ == "__main__":
    sys.exit(main())
