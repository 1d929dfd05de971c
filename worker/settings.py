"""The one typed settings object.

Read from the environment (prefix ``TARJAMA_``) once, validated at start-up, then passed
down. Nobody writes it: the model is frozen. :func:`load_settings` turns pydantic's
validation errors into one :class:`~worker.errors.ConfigurationError` whose message names
each bad variable, the value it had and what is allowed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tarjama.worker.errors import ConfigurationError
from tarjama.worker.faults import check_spec
from tarjama.worker.redis_url import SentinelTarget, is_sentinel
from tarjama.worker.stages import Role

ENV_PREFIX = "TARJAMA_"
REDIS_SCHEMES = ("redis", "rediss", "unix", "sentinel")

Engine = Literal["transformers", "ctranslate2"]
Device = Literal["cpu", "cuda", "auto"]
ComputeType = Literal["int8", "int8_float32", "float32", "float16", "int8_float16"]
#: Compute types that need a GPU.
CUDA_ONLY_COMPUTE_TYPES = ("float16", "int8_float16")
IntakeFault = Literal["none", "exit-after-enqueue"]
UnsupportedLanguages = Literal["fail", "passthrough"]


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tarjama"


def check_redis_url(url: str) -> str:
    """Accept redis://, rediss:// (TLS), unix:// and sentinel:// URLs (';'-separated list)."""
    for part in url.split(";"):
        scheme = urlsplit(part.strip()).scheme
        if scheme not in REDIS_SCHEMES:
            allowed = ", ".join(f"{s}://" for s in REDIS_SCHEMES)
            raise ValueError(f"scheme {scheme or '(none)'!r} is not allowed; use one of {allowed}")
    if is_sentinel(url):
        SentinelTarget.parse(url)
    return url


#: The settings that hold Redis URLs, and how each is named in messages.
REDIS_URL_SETTINGS = ("redis_url", "broker_url", "result_url")


class Settings(BaseSettings):
    """Every knob of a tarjama process. Each field is the env var ``TARJAMA_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", validate_default=True
    )

    # --- Redis -------------------------------------------------------------------------
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="Redis for both broker and results unless the two below are set. "
        "Password and TLS go in the URL (rediss://:pw@host:6380/0).",
    )
    broker_url: str | None = Field(None, description="Broker URL; defaults to redis_url.")
    result_url: str | None = Field(None, description="Result store URL; defaults to redis_url.")
    redis_sentinel_master: str | None = Field(
        None,
        min_length=1,
        description="The master set the Sentinels watch (sentinel monitor <name> ...); "
        "required with sentinel:// URLs.",
    )
    redis_sentinel_password: SecretStr | None = Field(
        None,
        description="The Sentinels' own password (their requirepass), if they have one; the "
        "master's password goes in the sentinel:// URL.",
    )
    redis_failover_wait: float = Field(
        30.0,
        gt=0,
        le=600,
        description="Seconds a Redis command waits for Sentinel to promote a new master "
        "before it fails (sentinel:// URLs only): more than down-after-milliseconds plus "
        "an election.",
    )
    visibility_timeout: int = Field(
        3600,
        gt=0,
        description="Seconds before Redis hands an unacknowledged job to another worker. "
        "Must exceed time_limit.",
    )

    # --- Models ------------------------------------------------------------------------
    translation_model: str = Field(
        "Helsinki-NLP/opus-mt-ar-en", min_length=1, description="Hub id or local directory."
    )
    translation_revision: str | None = Field(None, description="Hub revision (tag or commit).")
    summary_model: str = Field(
        "sshleifer/distilbart-cnn-12-6", min_length=1, description="Hub id or local directory."
    )
    summary_revision: str | None = Field(None, description="Hub revision (tag or commit).")
    model_cache_dir: Path = Field(
        default_factory=_default_cache_dir, description="Downloaded and converted weights."
    )
    offline: bool = Field(False, description="Never reach the Hub; use cached or local models.")
    device: Device = Field("cpu", description="cpu, cuda or auto.")
    engine: Engine = Field(
        "ctranslate2",
        description="Inference engine for both models: ctranslate2 (fast, converted once into "
        "the model cache) or transformers (the reference).",
    )
    compute_type: ComputeType = Field(
        "int8",
        description="CTranslate2 weights and arithmetic: int8, int8_float32, float32; "
        "float16 or int8_float16 on CUDA.",
    )
    torch_threads: int = Field(1, ge=1, le=256, description="Torch threads per worker process.")
    intra_threads: int | None = Field(
        None,
        ge=1,
        le=256,
        description="CTranslate2 threads per model call (per worker process); defaults to "
        "torch_threads, so one setting sizes a process for either engine.",
    )
    inter_threads: int = Field(
        1,
        ge=1,
        le=64,
        description="CTranslate2 replicas per model: calls that run in parallel within one "
        "process (pays off with --pool threads; prefork runs one job per process).",
    )
    preload_models: bool = Field(
        True, description="Load the role's models when a worker process starts, not on first job."
    )

    # --- Decoding ----------------------------------------------------------------------
    translation_beams: int = Field(4, ge=1, le=16, description="Beam size for translation.")
    translation_batch_tokens: int = Field(
        4096,
        ge=64,
        description="Padded source tokens per batch (sentences sorted by length): one "
        "generate() call each with transformers; CTranslate2 takes the article in one call "
        "and splits it at this size.",
    )
    default_summary_style: str = Field("standard", min_length=1)
    sentence_cache_ttl: int = Field(
        30 * 24 * 3600, ge=0, description="Seconds a cached sentence translation is kept; 0 = off."
    )
    prompts_dir: Path | None = Field(None, description="Summary styles; defaults to prompts/.")

    # --- Source text -------------------------------------------------------------------
    keep_diacritics: bool = Field(
        False,
        description="Keep Arabic diacritics (tashkeel) in the text the model translates; by "
        "default they are stripped, as in most news text.",
    )

    # --- The language gate (worker/language_gate.py) -------------------------------------
    unsupported_languages: UnsupportedLanguages = Field(
        "fail",
        description="What happens to an article that is not Arabic: fail (stored as "
        "unsupported_language) or passthrough (stored as a success, its text untranslated, "
        "not summarized).",
    )
    language_min_words: int = Field(
        4,
        ge=1,
        le=1000,
        description="Words (with a letter) a paragraph or title needs to be judged on its own; "
        "shorter ones follow the article's language.",
    )
    language_min_confidence: float = Field(
        0.6,
        ge=0.5,
        le=1.0,
        description="A text is Arabic when the detector gives Arabic (dialects summed) at "
        "least this probability, another language when it gives Arabic at most 1 minus this; "
        "in between it follows the article's language (or the job's source_language).",
    )

    # --- Jobs --------------------------------------------------------------------------
    result_ttl: int = Field(7 * 24 * 3600, gt=0, description="Seconds results are kept.")
    max_article_chars: int = Field(100_000, gt=0, description="Longest accepted article text.")
    soft_time_limit: int = Field(
        900, gt=0, description="Seconds before a job is asked to stop (stored as 'timeout')."
    )
    time_limit: int = Field(960, gt=0, description="Seconds before a job's process is killed.")
    max_deliveries: int = Field(
        3,
        ge=1,
        le=100,
        description="Deliveries of one job that end with its process dying before the job is "
        "stored as failed ('worker_lost') instead of being run again.",
    )
    max_retries: int = Field(5, ge=0, le=50, description="Retries of transient errors.")

    # --- Worker ------------------------------------------------------------------------
    role: Role = Field("all", description="Which stages this worker runs (and models it loads).")
    concurrency: int | None = Field(
        None, ge=1, description="Worker processes; defaults to cores // the engine's threads."
    )
    translate_concurrency: int | None = Field(
        None, ge=1, description="Overrides concurrency for --role translate workers."
    )
    translate_torch_threads: int | None = Field(
        None, ge=1, le=256, description="Overrides torch_threads for --role translate workers."
    )
    summarize_concurrency: int | None = Field(
        None, ge=1, description="Overrides concurrency for --role summarize workers."
    )
    summarize_torch_threads: int | None = Field(
        None, ge=1, le=256, description="Overrides torch_threads for --role summarize workers."
    )
    translate_queue: str = Field("tarjama.translate", min_length=1)
    summarize_queue: str = Field("tarjama.summarize", min_length=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    fault_injection: str | None = Field(
        None, description="TEST ONLY: kill:<marker> kills the worker process on such a job."
    )

    # --- Streams: intake for apps with only a Redis client, and finished-job events -----
    intake_stream: str = Field(
        "tarjama:intake",
        min_length=1,
        description="Redis stream producers XADD articles to; `tarjama intake` reads it.",
    )
    intake_group: str = Field(
        "tarjama", min_length=1, description="Consumer group of the intake processes."
    )
    intake_consumer: str | None = Field(
        None,
        min_length=1,
        description="This intake's consumer name (default: the host name). Keep it stable "
        "across restarts and unique per running intake: a restarted intake resumes its own "
        "unacknowledged entries by this name.",
    )
    intake_claim_idle: int = Field(
        60,
        ge=1,
        description="Seconds an intake entry may stay unacknowledged before an intake takes "
        "it over (its intake died) or retries it; also how often that check runs.",
    )
    results_stream: str = Field(
        "tarjama:results",
        min_length=1,
        description="Redis stream on which every finished job's id and status are published.",
    )
    results_stream_maxlen: int = Field(
        100_000, ge=1, description="Entries the results stream keeps (trimmed approximately)."
    )
    intake_fault: IntakeFault = Field(
        "none",
        description="TEST ONLY. exit-after-enqueue: `tarjama intake` exits right after it "
        "has enqueued a job, before acknowledging the entry (the crash test).",
    )

    @field_validator(*REDIS_URL_SETTINGS)
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        return None if value is None else check_redis_url(value)

    @field_validator("fault_injection")
    @classmethod
    def _fault_spec(cls, value: str | None) -> str | None:
        return check_spec(value)

    @model_validator(mode="after")
    def _sentinel_has_a_master(self) -> Settings:
        for name in REDIS_URL_SETTINGS:
            url = getattr(self, name)
            if url is not None and is_sentinel(url) and self.redis_sentinel_master is None:
                raise ValueError(
                    f"{ENV_PREFIX}{name.upper()} is a sentinel:// URL, so "
                    f"{ENV_PREFIX}REDIS_SENTINEL_MASTER must name the master set the "
                    "Sentinels watch (the <name> of their 'sentinel monitor <name> ...')"
                )
        return self

    @model_validator(mode="after")
    def _limits_nest(self) -> Settings:
        if not self.soft_time_limit < self.time_limit:
            raise ValueError(
                f"TARJAMA_SOFT_TIME_LIMIT ({self.soft_time_limit}) must be below "
                f"TARJAMA_TIME_LIMIT ({self.time_limit})"
            )
        if not self.time_limit < self.visibility_timeout:
            raise ValueError(
                f"TARJAMA_TIME_LIMIT ({self.time_limit}) must be below "
                f"TARJAMA_VISIBILITY_TIMEOUT ({self.visibility_timeout}), or Redis hands a "
                "running job to a second worker"
            )
        if self.compute_type in CUDA_ONLY_COMPUTE_TYPES and self.device == "cpu":
            raise ValueError(
                f"TARJAMA_COMPUTE_TYPE={self.compute_type} needs TARJAMA_DEVICE=cuda; on a CPU "
                "use int8, int8_float32 or float32"
            )
        return self

    # --- Derived -----------------------------------------------------------------------
    @property
    def broker(self) -> str:
        return self.broker_url or self.redis_url

    @property
    def results(self) -> str:
        return self.result_url or self.redis_url

    @property
    def threads_per_process(self) -> int:
        """Threads one job uses: CTranslate2's intra_threads, else torch_threads."""
        if self.engine == "ctranslate2" and self.intra_threads is not None:
            return self.intra_threads
        return self.torch_threads

    @property
    def worker_concurrency(self) -> int:
        if self.concurrency is not None:
            return self.concurrency
        return max(1, (os.cpu_count() or 1) // self.threads_per_process)

    def for_role(self, role: Role) -> Settings:
        """These settings with the role's own concurrency and threads, where set."""
        if role == "all":
            return self.model_copy(update={"role": role})
        update: dict[str, object] = {"role": role}
        for name in ("concurrency", "torch_threads"):  # TARJAMA_<STAGE>_CONCURRENCY ...
            value = getattr(self, f"{role}_{name}")
            if value is not None:
                update[name] = value
        return self.model_copy(update=update)

    @property
    def redis_explicit(self) -> bool:
        """Whether the user named a Redis (the demo starts its own when not)."""
        return bool({"redis_url", "broker_url"} & self.model_fields_set)


def _env_name(loc: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + str(loc[0]).upper() if loc else "TARJAMA_*"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment; raise ConfigurationError naming bad values."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            got = err.get("input")
            shown = "" if isinstance(got, dict) else f" (got {got!r})"
            message = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{_env_name(loc) if loc else 'settings'}{shown}: {message}")
        raise ConfigurationError("invalid settings:\n  " + "\n  ".join(lines)) from None
