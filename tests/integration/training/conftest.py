"""Real Axolotl runs. The base models (the default model dequantized, the tiny smoke model) are built
once into a stable cache folder and linked into each test's data dir, so reruns skip the build."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from tests.worlds.training import build_corpus
from training.base_model import GEMMA_DIR, TINY_DIR, ensure_base
from training.profiles import PROFILES
from training.venv import find_venv, is_ready

CACHE = Path(os.environ.get("PREDRAFT_TEST_CACHE", "~/.cache/predraft-tests")).expanduser()


@pytest.fixture(scope="session")
def axolotl_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = find_venv(tmp_path_factory.mktemp("no-data-dir"))
    if not is_ready(venv):
        pytest.skip(f"no Axolotl environment at {venv}: `make setup-training` installs it")
    return venv


@pytest.fixture(scope="session")
def cached_models(axolotl_venv: Path) -> Path:
    """<cache>/models with both base models, built on first use (a few minutes), reused after."""
    settings = load_settings(CACHE)
    for name in ("cpu-smoke", "gemma3-270m-cpu"):
        ensure_base(PROFILES[name], settings, axolotl_venv, lambda line: None)
    return settings.models_dir


@pytest.fixture(scope="session")
def make_settings(cached_models: Path) -> Callable[[Path], Settings]:
    """Settings for a fresh data dir holding the fixture corpus, with the cached base models linked in."""

    def make(data_dir: Path) -> Settings:
        settings = load_settings(data_dir)
        settings.models_dir.mkdir(parents=True, exist_ok=True)
        for name in (GEMMA_DIR, TINY_DIR):
            (settings.models_dir / name).symlink_to(cached_models / name, target_is_directory=True)
        build_corpus(settings.corpus_path).close()
        return settings

    return make


@pytest.fixture
def settings(data_dir: Path, make_settings: Callable[[Path], Settings]) -> Settings:
    return make_settings(data_dir)
