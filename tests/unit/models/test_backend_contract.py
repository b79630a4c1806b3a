"""Backend-independent parts: options from settings, backend choice, the OpenAI wire format, errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from assistant.config import OpenAISettings, load_settings
from assistant.models import GenerationOptions, ModelError, load_backend
from assistant.models.openai_compat import OpenAICompatBackend, _sse_data, continuation_logprob, is_loopback


def test_options_come_from_the_model_section(data_dir: Path):
    settings = load_settings(data_dir, {"model": {"max_tokens": 24, "temperature": 0.3, "seed": 11}})
    options = GenerationOptions.from_settings(settings.model, stop=["\nMaya:", "\n\n"])
    assert options == GenerationOptions(max_tokens=24, temperature=0.3, top_p=0.95, repeat_penalty=1.1, seed=11,
                                        stop=("\nMaya:", "\n\n"))


def test_the_openai_backend_refuses_a_lora_it_cannot_apply(data_dir: Path):
    settings = load_settings(data_dir, {"model": {"backend": "openai", "lora_path": "/runs/7/adapter.gguf"}})
    with pytest.raises(ModelError, match=r"model.lora_path is '/runs/7/adapter.gguf', but the openai backend"):
        load_backend(settings)


def test_an_unreachable_server_says_what_to_do(data_dir: Path):
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    settings = load_settings(data_dir, {"model": {"backend": "openai", "openai": {"base_url": url}}})
    expected = rf"^cannot reach the model server at {url} .*: start it or set model.openai.base_url$"
    with pytest.raises(ModelError, match=expected):
        load_backend(settings)


def test_missing_model_file(data_dir: Path, tmp_path: Path):
    settings = load_settings(data_dir, {"model": {"gguf_path": str(tmp_path / "nope.gguf")}})
    with pytest.raises(ModelError, match=rf"the model file {tmp_path}/nope.gguf does not exist"):
        load_backend(settings)


def test_a_junk_file_named_gguf(data_dir: Path, tmp_path: Path):
    junk = tmp_path / "model.gguf"
    junk.write_bytes(b"PK\x03\x04 this is a zip archive, not a model" * 10)
    settings = load_settings(data_dir, {"model": {"gguf_path": str(junk)}})
    with pytest.raises(ModelError, match=r"the model file is not usable: .*model.gguf: not a GGUF file"):
        load_backend(settings)


def test_server_sent_events_stop_at_done_and_skip_pings():
    lines = [
        ": ping - 2026-11-25 15:00:00",
        'data: {"choices": [{"text": " yes"}]}',
        "",
        'data: {"choices": [{"text": ","}]}',
        "data: [DONE]",
        'data: {"choices": [{"text": "never"}]}',
    ]
    assert [d["choices"][0]["text"] for d in _sse_data(iter(lines))] == [" yes", ","]


def test_echoed_logprobs_count_from_the_token_that_reaches_the_continuation():
    # "Me:" + " sure" + one sampled token: tokens "Me" ":" " su" "re" and the sample at offset 8.
    offsets = [0, 2, 3, 6, 8]
    logprobs = [None, -1.0, -2.0, -0.5, -9.0]
    assert continuation_logprob(offsets, logprobs, prompt_chars=3, total_chars=8) == (-2.5, 2)
    # a token straddling the boundary (":" + " su" merged) belongs to the continuation
    assert continuation_logprob([0, 2, 6, 8], [None, -3.0, -0.5, -9.0], prompt_chars=3, total_chars=8) == (-3.5, 2)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "http://localhost:11434/v1", "http://[::1]:8080/v1",
                                 "http://127.5.0.1/v1"])
def test_servers_on_this_machine_need_no_consent(url):
    assert is_loopback(url)


def test_a_server_off_this_machine_needs_consent_and_https():
    far = OpenAISettings(base_url="http://10.0.0.5:8080/v1", model="m", api_key="k", timeout_s=1)
    with pytest.raises(ModelError, match="off this machine.*allow_remote = true"):
        OpenAICompatBackend(far)  # refused before any connection is tried
    with pytest.raises(ModelError, match="must use https"):
        OpenAICompatBackend(far.model_copy(update={"allow_remote": True}))
    assert not is_loopback("https://models.example.com/v1")
