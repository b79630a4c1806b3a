"""Settings: bundled defaults (configs/predraft.toml), the user's overrides, then CLI flags.

Every default lives in the TOML file so it is visible in one place; the models below only give
them types and reject unknown keys, so a typo in a user's config is an error, not a silent no-op.
"""

from __future__ import annotations

import os
import stat
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, NonNegativeFloat, NonNegativeInt, PositiveInt, ValidationError

from assistant.errors import PredraftError

DATA_DIR_ENV = "PREDRAFT_DATA_DIR"
CACHE_DIR_ENV = "PREDRAFT_CACHE_DIR"
USER_CONFIG_NAME = "predraft.toml"


def configs_dir() -> Path:
    """The bundled configs folder: the repo's `configs/` (editable install) or the wheel's copy."""
    repo = Path(__file__).resolve().parent.parent / "configs"
    return repo if repo.is_dir() else Path(__file__).resolve().parent / "_configs"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IngestSettings(_Section):
    timezone: str
    whatsapp_date_order: Literal["auto", "dmy", "mdy", "ymd"]


class PrivacySettings(_Section):
    consent_mode: Literal["drop-thread", "redact"]
    redact_pii: bool
    redact_names: bool


class DatasetSettings(_Section):
    name: str
    conversation_gap_hours: float
    context_tokens: int
    max_context_messages: int
    media: Literal["placeholder", "drop"]
    min_reply_chars: int
    max_reply_chars: int
    val_fraction: float
    split: Literal["time", "random"]
    seed: int
    min_examples: int
    human_to_feedback_ratio: float

    @property
    def gap(self) -> timedelta:
        """A pause this long between messages starts a new conversation."""
        return timedelta(hours=self.conversation_gap_hours)


class OpenAISettings(_Section):
    base_url: str
    model: str
    api_key: str
    timeout_s: float
    allow_remote: bool = False  # a server off this machine gets thread text: only when the user says so
    proxy: str = ""  # the proxy to reach it through; the environment's proxy variables are never used


class ModelSettings(_Section):
    backend: Literal["llama_cpp", "openai"]
    gguf_path: str
    lora_path: str
    n_ctx: int
    n_threads: int
    temperature: float
    top_p: float
    repeat_penalty: float
    max_tokens: int
    seed: int
    openai: OpenAISettings


EmbeddingBackend = Literal["openvino", "torch"]


class RetrievalSettings(_Section):
    collection: str
    context_messages: int
    top_k: int
    fetch_k: int
    mmr_lambda: float
    exact_search_rows: int
    embedding_backend: EmbeddingBackend


class DraftSettings(_Section):
    candidates: int
    depth: int
    confidence_threshold: float
    prediction_hit_similarity: float
    predraft_min_hit_rate: float
    similarity_weight: float
    length_weight: NonNegativeFloat
    agreement_weight: NonNegativeFloat
    predict_temperature: float
    resample_rounds: int
    past_replies: int
    past_reply_similarity: float
    past_answers: bool
    examples: NonNegativeInt
    predictions: PositiveInt  # 0 would leave no past answer to take, and quietly hand prediction to the model


class TrainSettings(_Section):
    profile: str
    wandb: bool
    omp_threads: int
    eval_limit: int


class Settings(_Section):
    data_dir: Path
    ingest: IngestSettings
    privacy: PrivacySettings
    dataset: DatasetSettings
    model: ModelSettings
    retrieval: RetrievalSettings
    draft: DraftSettings
    train: TrainSettings

    @property
    def corpus_path(self) -> Path:
        return self.data_dir / "corpus.sqlite"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def checkpoints_path(self) -> Path:
        return self.data_dir / "graph-checkpoints.sqlite"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def feedback_path(self) -> Path:
        return self.data_dir / "feedback.sqlite"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def locks_dir(self) -> Path:
        return self.data_dir / "locks"


class ConfigError(PredraftError):
    """A config file that cannot be read or has wrong keys/values."""


def default_data_dir() -> Path:
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("predraft"))


def default_cache_dir() -> Path:
    """Derived files (the embedder's converted model): rebuilt when missing, safe to delete."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("predraft"))


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}). Fix the file or delete it to use defaults.") from exc


def ensure_data_dir(path: Path) -> str | None:
    """Create the data dir readable by its owner alone: it holds private messages.

    A folder that exists already keeps its mode (the user chose it, and it may hold more than predraft's
    files); the returned warning says so when other users can read it.
    """
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            return (f"{path} is readable by other users of this machine (mode {mode:04o}) and holds your messages: "
                    f"`chmod 700 {path}` makes it private")
    return None


def load_settings(data_dir: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Bundled defaults <- <data dir>/predraft.toml <- overrides (from CLI flags, nested dicts)."""
    data_dir = (data_dir or default_data_dir()).expanduser().resolve()
    raw = _read_toml(configs_dir() / "predraft.toml")
    user_file = data_dir / USER_CONFIG_NAME
    if user_file.is_file():
        raw = _deep_merge(raw, _read_toml(user_file))
    if overrides:
        raw = _deep_merge(raw, overrides)
    raw["data_dir"] = data_dir
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid settings ({problems}). Check {user_file} and your flags.") from exc
