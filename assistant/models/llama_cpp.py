"""A GGUF model (plus an optional GGUF LoRA) run in-process by llama.cpp.

One `Llama` instance serves generation and scoring. llama-cpp-python keeps the KV cache of the
last evaluated tokens and only evaluates what follows the longest shared prefix, so candidates of
the same prompt, the next step of a response chain and the scoring of a candidate mostly skip the
transcript. Scoring decodes the continuation in one batch with logits for just those positions,
instead of `logits_all=True`, which reserves n_ctx x 262k floats (~2 GB at n_ctx 2048) and halves
prompt speed.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path

import llama_cpp
import numpy as np
from llama_cpp import Llama, StoppingCriteriaList

from assistant.models.base import Backend, GenerationOptions, ModelError
from assistant.models.lora_check import check_lora_base, check_lora_matches, checked_header
from assistant.models.sha256_cache import file_sha256

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

# llama-cpp-python 0.3.36 maps ggml's log levels with an outdated enum, so llama.cpp's warnings reach
# stderr even with verbose=False and garble a terminal UI. Its log goes to Python logging instead
# (silent unless the application configures logging); the last errors explain a failed load.
_GGML_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}  # ggml.h
_GGML_CONTINUE = 5  # continues the previous message at its level
_recent_errors: deque[str] = deque(maxlen=4)
_last_level = logging.DEBUG


@llama_cpp.llama_log_callback
def _forward_log(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    global _last_level
    if level != _GGML_CONTINUE:
        _last_level = _GGML_LEVELS.get(level, logging.DEBUG)
    message = text.decode("utf-8", errors="replace").rstrip()
    if _last_level >= logging.ERROR and message:
        _recent_errors.append(message)
    log.log(_last_level, "%s", message)


llama_cpp.llama_log_set(_forward_log, ctypes.c_void_p(0))


class LlamaCppBackend(Backend):
    name = "llama_cpp"
    can_score = True
    supports_lora = True

    def __init__(
        self,
        model_path: Path,
        *,
        lora_path: Path | None = None,
        n_ctx: int = 2048,
        n_threads: int = 2,
        seed: int = 7,
        sha256_cache_dir: Path | None = None,  # settings.models_dir: the base's sha256 is hashed once, not per load
    ):
        base = checked_header(model_path, "model")
        if lora_path is not None:
            lora = checked_header(lora_path, "LoRA adapter")
            check_lora_matches(base, lora, lora_path, model_path)
            check_lora_base(lora, lora_path, model_path, lambda: file_sha256(model_path, sha256_cache_dir))
        self.model_id = model_path.name
        self.n_ctx = n_ctx  # llama.cpp may round its context up; llama-cpp-python's buffers hold n_ctx
        self.adapter_id = adapter_id(lora_path) if lora_path is not None else ""
        self._lock = threading.Lock()  # one Llama context: one generation or scoring at a time
        _recent_errors.clear()
        try:
            self.llm = Llama(
                model_path=str(model_path),
                lora_path=str(lora_path) if lora_path is not None else None,
                n_ctx=n_ctx,
                n_threads=n_threads,
                seed=seed,
                logits_all=False,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            detail = "; ".join(_recent_errors) or str(exc)
            raise ModelError(
                f"llama.cpp cannot load {model_path}"
                + (f" with the LoRA {lora_path}" if lora_path else "")
                + f" ({detail}). It may be for an architecture this llama.cpp does not support, or damaged: "
                "export it again, or clear model.gguf_path to use the default model."
            ) from exc

    def stream(
        self, prompt: str, options: GenerationOptions, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        # Checked inside llama.cpp's token loop too, so a cancel lands even while text is held
        # back because it might be the start of a stop sequence.
        stopping = StoppingCriteriaList([lambda _ids, _logits: cancel.is_set()]) if cancel else None
        with self._lock:
            tokens = self._fit(self.tokenize(prompt), keep_free=min(options.max_tokens, self.n_ctx // 2))
            chunks = self.llm.create_completion(
                tokens,
                max_tokens=min(options.max_tokens, self.n_ctx - len(tokens)),
                temperature=options.temperature,
                top_p=options.top_p,
                repeat_penalty=options.repeat_penalty,
                seed=options.seed,
                stop=list(options.stop),
                stopping_criteria=stopping,
                stream=True,
            )
            try:
                for chunk in chunks:
                    if cancel is not None and cancel.is_set():
                        return
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text
            finally:
                chunks.close()

    def score_tokens(self, prompt: str, continuation: str) -> tuple[float, int]:
        with self._lock:
            full = self.tokenize(prompt + continuation)
            # The continuation starts where the joint tokenization departs from the prompt's own
            # (a token merging across the boundary counts as continuation); BOS stays context.
            split = max(1, Llama.longest_token_prefix(self.tokenize(prompt), full))
            continuation_tokens = len(full) - split
            if continuation_tokens == 0:
                return 0.0, 0
            if continuation_tokens >= self.n_ctx:
                raise ModelError(
                    f"the continuation to score has {continuation_tokens} tokens, more than model.n_ctx "
                    f"({self.n_ctx}) allows: raise model.n_ctx or score a shorter text"
                )
            fitted = self._fit(full, keep_free=0)
            return self._continuation_logprob(fitted, len(fitted) - continuation_tokens), continuation_tokens

    def tokenize(self, text: str) -> list[int]:
        # special=False: text from a chat export must never turn into control tokens.
        return self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)

    def prompt_tokens_evaluated(self) -> int:
        """Prompt tokens llama.cpp has evaluated since the model was loaded (a cache hit adds none)."""
        return llama_cpp.llama_perf_context(self.llm.ctx).n_p_eval

    def close(self) -> None:
        with self._lock:
            self.llm.close()

    def _fit(self, tokens: list[int], keep_free: int) -> list[int]:
        """Drop the oldest transcript tokens (never BOS) so `keep_free` tokens still fit in n_ctx."""
        limit = self.n_ctx - keep_free
        if len(tokens) <= limit:
            return tokens
        log.debug("prompt of %d tokens cut to the last %d", len(tokens), limit)
        return [tokens[0], *tokens[len(tokens) - limit + 1 :]]

    def _continuation_logprob(self, tokens: Sequence[int], split: int) -> float:
        """Sum of log p(tokens[i] | tokens[:i]) for i >= split, reusing the cached prefix."""
        llm = self.llm
        start = split - 1  # the logits at the last prompt token predict the first continuation token
        cached = Llama.longest_token_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens)
        llm.n_tokens = min(cached, start)
        llm.eval(tokens[llm.n_tokens : start])  # drops stale cache cells, evaluates the rest of the prompt
        total = 0.0
        for begin in range(start, len(tokens) - 1, llm.n_batch):
            inputs = tokens[begin : min(begin + llm.n_batch, len(tokens) - 1)]
            logits = self._decode_all_logits(inputs)
            targets = np.asarray(tokens[begin + 1 : begin + 1 + len(inputs)])
            total += float(_log_softmax_at(logits, targets).sum())
        return total

    def _decode_all_logits(self, inputs: Sequence[int]) -> np.ndarray:
        """Decode `inputs` after the cached tokens and return one row of logits per input."""
        llm = self.llm
        n = len(inputs)
        batch = llama_cpp.llama_batch_init(n, 0, 1)
        try:
            batch.n_tokens = n
            for i, token in enumerate(inputs):
                batch.token[i] = token
                batch.pos[i] = llm.n_tokens + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
                batch.logits[i] = True
            if llama_cpp.llama_decode(llm.ctx, batch) != 0:
                raise ModelError(f"llama.cpp could not evaluate {n} tokens for scoring: raise model.n_ctx")
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits(llm.ctx), shape=(n, llm.n_vocab())).copy()
        finally:
            llama_cpp.llama_batch_free(batch)
        # Keep llama-cpp-python's record of the cache in step, so later prompts reuse these tokens.
        llm.input_ids[llm.n_tokens : llm.n_tokens + n] = inputs
        llm.n_tokens += n
        return logits


def _log_softmax_at(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    rows = logits.astype(np.float64)
    peak = rows.max(axis=1, keepdims=True)
    log_norm = peak[:, 0] + np.log(np.exp(rows - peak).sum(axis=1))
    return rows[np.arange(len(targets)), targets] - log_norm


def adapter_id(lora_path: Path) -> str:
    """The adapter's file name plus a content hash: retraining in place gives a new id."""
    digest = hashlib.blake2b(lora_path.read_bytes(), digest_size=4).hexdigest()
    return f"{lora_path.name}@{digest}"
