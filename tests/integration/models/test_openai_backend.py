"""The openai backend against a real OpenAI-compatible server: llama-cpp-python's, on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import OpenAISettings
from assistant.models import GenerationOptions, ModelError
from assistant.models.llama_cpp import LlamaCppBackend
from assistant.models.openai_compat import OpenAICompatBackend

pytestmark = pytest.mark.slow

PROMPT = "Friend: are you coming tonight?\nMe:"
ONE_LINE = GenerationOptions(max_tokens=16, stop=("\n",))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(default_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_gguf), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "1024", "--n_threads", "2"]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=2).is_success:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.25)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def remote(server_url: str) -> Iterator[OpenAICompatBackend]:
    settings = OpenAISettings(base_url=server_url, model="local", api_key="not-needed", timeout_s=120)
    with OpenAICompatBackend(settings) as backend:
        yield backend


def test_stream_and_complete_through_the_server(remote: OpenAICompatBackend):
    pieces = list(remote.stream(PROMPT, ONE_LINE))
    assert len(pieces) > 1
    reply = "".join(pieces)
    assert reply.strip() and "\n" not in reply
    assert remote.complete(PROMPT, ONE_LINE) == reply  # the seed travels with the request
    assert remote.model_id == "openai:local" and remote.adapter_id == ""


def test_candidates_and_cancel(remote: OpenAICompatBackend):
    texts = remote.candidates(PROMPT, ONE_LINE, 3)
    assert len(texts) == 3 and all(t.strip() for t in texts)
    cancel = threading.Event()
    pieces = []
    for piece in remote.stream(PROMPT, GenerationOptions(max_tokens=48), cancel):
        pieces.append(piece)
        cancel.set()
    assert len(pieces) == 1


def test_scores_match_the_in_process_backend(remote: OpenAICompatBackend, backend: LlamaCppBackend):
    # One short request: llama-cpp-python's server sorts the whole 262k vocabulary in Python for
    # every echoed token, prompt included (seconds per request).
    remote_score = remote.score(PROMPT, " yes, see you!")
    assert remote_score < 0
    # The same tokens are counted on both sides: one token more or less would move the total by
    # nats. llama.cpp's quantized matmuls round differently for different batch shapes (the server
    # scores prompt and reply in one batch), which moves a total by ~1%.
    assert backend.score(PROMPT, " yes, see you!") == pytest.approx(remote_score, rel=0.03)


def test_a_wrong_path_on_the_server_is_a_model_error(server_url: str):
    settings = OpenAISettings(base_url=server_url.replace("/v1", "/v2"), model="local", api_key="x", timeout_s=10)
    with pytest.raises(ModelError, match=r"answered GET /v2/models with HTTP 404"):
        OpenAICompatBackend(settings)


def test_proxy_variables_of_the_environment_are_ignored(server_url: str, monkeypatch: pytest.MonkeyPatch):
    dead = f"http://127.0.0.1:{free_port()}"  # a proxy nobody runs: used, it would fail every request
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead)
    monkeypatch.setenv("NO_PROXY", "")
    settings = OpenAISettings(base_url=server_url, model="local", api_key="not-needed", timeout_s=120)
    with OpenAICompatBackend(settings) as backend:
        assert backend.complete(PROMPT, ONE_LINE).strip()
    with pytest.raises(ModelError, match="cannot reach"):  # a proxy named in the settings is used
        OpenAICompatBackend(settings.model_copy(update={"proxy": dead}))
