"""A model behind any OpenAI-compatible server (llama.cpp's servers, vLLM, Ollama).

Only the legacy `/v1/completions` endpoint is used: prompts are transcripts to continue, and a chat
endpoint would wrap them in the server's chat template.
"""

from __future__ import annotations

import ipaddress
import json
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from assistant.config import OpenAISettings
from assistant.models.base import Backend, GenerationOptions, ModelError, ScoringUnsupported


class OpenAICompatBackend(Backend):
    name = "openai"
    can_score = True  # when the server returns prompt log-probabilities (echo + logprobs); else ScoringUnsupported
    supports_lora = False  # a LoRA is loaded by the server itself

    def __init__(self, settings: OpenAISettings):
        self.base_url = settings.base_url.rstrip("/")
        self.model_id = f"openai:{settings.model}"
        self._model = settings.model
        if not is_loopback(self.base_url):
            check_remote_allowed(self.base_url, settings.allow_remote)
            print(f"predraft: thread text is sent to the model server at {self.base_url} (model.openai.allow_remote)",
                  file=sys.stderr)
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {settings.api_key}"},
            timeout=httpx.Timeout(settings.timeout_s, connect=5.0),
            trust_env=False,  # no proxy, certificate or netrc settings from the environment
            proxy=settings.proxy or None,
        )
        self._request("GET", "/models")  # fail at load time, not at the first draft

    def stream(
        self, prompt: str, options: GenerationOptions, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        body = self._body(prompt, options) | {"stream": True}
        try:
            with self._client.stream("POST", "/completions", json=body) as response:
                self._raise_for_status(response, read=True)
                for data in _sse_data(response.iter_lines()):
                    if cancel is not None and cancel.is_set():
                        return  # leaving the block closes the connection, which stops the server
                    text = data["choices"][0].get("text") or ""
                    if text:
                        yield text
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    def score_tokens(self, prompt: str, continuation: str) -> tuple[float, int]:
        body = {
            "model": self._model,
            "prompt": prompt + continuation,
            "max_tokens": 1,  # 0 means "no limit" on some servers; the one sampled token is ignored
            "temperature": 0.0,
            "echo": True,
            "logprobs": 0,
        }
        choice = self._request("POST", "/completions", json=body)["choices"][0]
        logprobs = choice.get("logprobs") or {}
        offsets, token_logprobs = logprobs.get("text_offset"), logprobs.get("token_logprobs")
        if not offsets or not token_logprobs:
            raise ScoringUnsupported(
                f"the server at {self.base_url} returns no prompt log-probabilities (echo + logprobs) on "
                "/v1/completions; scoring needs llama-cpp-python's server or vLLM, or set model.backend = \"llama_cpp\""
            )
        return continuation_logprob(offsets, token_logprobs, len(prompt), len(prompt + continuation))

    def close(self) -> None:
        self._client.close()

    def _body(self, prompt: str, options: GenerationOptions) -> dict[str, Any]:
        body = {
            "model": self._model,
            "prompt": prompt,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            "seed": options.seed,
            "stop": list(options.stop),
        }
        if options.repeat_penalty != 1.0:  # llama.cpp's server name for it; sent only when it changes anything
            body["repeat_penalty"] = options.repeat_penalty
        return body

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        self._raise_for_status(response)
        return response.json()

    def _raise_for_status(self, response: httpx.Response, read: bool = False) -> None:
        if response.is_success:
            return
        if read:
            response.read()
        raise ModelError(
            f"the model server at {self.base_url} answered {response.request.method} {response.request.url.path} "
            f"with HTTP {response.status_code}: {response.text[:300]}. Check model.openai.model and that the "
            "server offers the /v1/completions endpoint."
        )

    def _unreachable(self, exc: httpx.TransportError) -> ModelError:
        if isinstance(exc, httpx.TimeoutException):
            return ModelError(
                f"the model server at {self.base_url} did not answer within its timeout ({exc!r}): "
                "check that it is not overloaded, or raise model.openai.timeout_s"
            )
        return ModelError(
            f"cannot reach the model server at {self.base_url} ({exc}): start it or set model.openai.base_url"
        )


def _sse_data(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """The JSON payloads of a server-sent event stream, up to `[DONE]` (comments/pings skipped)."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        payload = line[len("data:") :].strip()
        if payload == "[DONE]":
            return
        yield json.loads(payload)


def is_loopback(url: str) -> bool:
    """The server runs on this machine: localhost or a loopback address."""
    host = (httpx.URL(url).host or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_remote_allowed(url: str, allowed: bool) -> None:
    """A server off this machine gets the user's threads: only with consent, and only encrypted."""
    host = httpx.URL(url).host
    if not allowed:
        raise ModelError(f"model.openai.base_url points at {host}, off this machine: drafting would send your threads "
                         "there. Set allow_remote = true under [model.openai] to allow it, or run the server locally")
    if httpx.URL(url).scheme != "https":
        raise ModelError(f"model.openai.base_url must use https to reach {host} off this machine: {url}")


def continuation_logprob(
    offsets: list[int], token_logprobs: list[float | None], prompt_chars: int, total_chars: int
) -> tuple[float, int]:
    """Sum the log-probs of the echoed tokens that end inside the continuation, and count them.

    A token straddling the prompt/continuation boundary counts as continuation, the same cut the
    llama.cpp backend makes. Tokens past `total_chars` are the one sampled token, not the echo.
    """
    ends = [*offsets[1:], total_chars]
    inside = [lp or 0.0 for start, end, lp in zip(offsets, ends, token_logprobs, strict=True)
              if end > prompt_chars and start < total_chars]
    return sum(inside), len(inside)
