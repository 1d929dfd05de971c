"""Model lifecycle: find the weights, load them once per worker process (after the fork).

:func:`locate` turns a Hub id or a local path into a local directory, downloading into the
model cache when allowed. It imports no torch, so the CLI can run it in the parent process
before forking (a pre-flight that refuses to start a worker with no weights).
:class:`ModelRegistry` loads engines lazily, once per process, and remembers load times.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

from tarjama.worker.errors import ConfigurationError, ModelUnavailable

if TYPE_CHECKING:
    from tarjama.worker.engines import Summarizer, Translator
    from tarjama.worker.settings import Settings

log = logging.getLogger(__name__)

ModelRole = Literal["translation", "summary"]
T = TypeVar("T")
#: Files a checkpoint needs; weights are picked separately (safetensors first).
_CONFIG_PATTERNS = ["*.json", "*.spm", "*.model", "*.txt", "vocab.*", "merges.txt"]
_ENV_VAR: dict[ModelRole, str] = {
    "translation": "TARJAMA_TRANSLATION_MODEL",
    "summary": "TARJAMA_SUMMARY_MODEL",
}


@dataclass(frozen=True)
class ModelSpec:
    role: ModelRole
    name: str
    revision: str | None
    cache_dir: Path
    offline: bool

    @classmethod
    def for_role(cls, role: ModelRole, settings: Settings) -> ModelSpec:
        name, revision = (
            (settings.translation_model, settings.translation_revision)
            if role == "translation"
            else (settings.summary_model, settings.summary_revision)
        )
        return cls(role, name, revision, settings.model_cache_dir, settings.offline)

    @property
    def is_local(self) -> bool:
        return (
            self.name.startswith(("/", "./", "../", "~")) or Path(self.name).expanduser().is_dir()
        )

    @property
    def hub_cache(self) -> Path:
        return self.cache_dir / "hf"


def _how_to_fix(spec: ModelSpec) -> str:
    var = _ENV_VAR[spec.role]
    return (
        f"To fix: on a machine with network run `tarjama models pull` (it downloads into "
        f"TARJAMA_MODEL_CACHE_DIR={spec.cache_dir}) and copy that directory here; or "
        f"download the model yourself and set {var}=/path/to/model/dir; "
        "to see the plumbing without real weights run `tarjama demo --tiny`."
    )


def _hub_reachable(timeout: float = 3.0) -> bool:
    from huggingface_hub import constants

    url = urlsplit(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "huggingface.co", port), timeout=timeout):
            return True
    except OSError:
        return False


def _check_checkpoint_dir(spec: ModelSpec, path: Path) -> Path:
    if not (path / "config.json").is_file():
        raise ModelUnavailable(
            f"{spec.role} model directory {path} has no config.json; it is not a Hugging Face "
            f"checkpoint. {_how_to_fix(spec)}"
        )
    return path


def locate(spec: ModelSpec) -> Path:
    """Return a local directory holding the checkpoint, downloading it if allowed.

    Downloads show the Hub's progress bars; later calls find the copy in the model cache.
    """
    if spec.is_local:
        path = Path(spec.name).expanduser()
        if not path.is_dir():
            raise ModelUnavailable(
                f"{spec.role} model path {path} does not exist. {_how_to_fix(spec)}"
            )
        return _check_checkpoint_dir(spec, path)

    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        cached = snapshot_download(
            spec.name, revision=spec.revision, cache_dir=spec.hub_cache, local_files_only=True
        )
        return _check_checkpoint_dir(spec, Path(cached))
    except (LocalEntryNotFoundError, FileNotFoundError, ModelUnavailable):
        pass
    if spec.offline:
        raise ModelUnavailable(
            f"{spec.role} model {spec.name!r} is not in the model cache "
            f"({spec.hub_cache}) and TARJAMA_OFFLINE is on. {_how_to_fix(spec)}"
        )
    if not _hub_reachable():
        raise ModelUnavailable(
            f"{spec.role} model {spec.name!r} is not in the model cache ({spec.hub_cache}) "
            f"and the Hugging Face Hub cannot be reached from here. {_how_to_fix(spec)}"
        )
    try:
        files = HfApi().list_repo_files(spec.name, revision=spec.revision)
        weights = (
            ["*.safetensors"]
            if any(f.endswith(".safetensors") for f in files)
            else ["pytorch_model.bin"]
        )
        log.info("downloading %s model %s into %s", spec.role, spec.name, spec.hub_cache)
        downloaded = snapshot_download(
            spec.name,
            revision=spec.revision,
            cache_dir=spec.hub_cache,
            allow_patterns=_CONFIG_PATTERNS + weights,
        )
    except (HfHubHTTPError, OSError) as exc:
        raise ModelUnavailable(
            f"{spec.role} model {spec.name!r} could not be downloaded: {exc}. {_how_to_fix(spec)}"
        ) from None
    return _check_checkpoint_dir(spec, Path(downloaded))


def prepare(spec: ModelSpec, settings: Settings) -> Path:
    """Everything a worker process will load, on disk: the checkpoint (downloaded if
    allowed) and, for the CTranslate2 engine, its converted copy. Imports no torch (the
    conversion runs in a child process), so the CLI runs it before forking workers."""
    checkpoint = locate(spec)
    if settings.engine != "ctranslate2":
        return checkpoint
    from tarjama.worker.conversion import ensure_converted

    return ensure_converted(spec, checkpoint, settings.compute_type)


class ModelRegistry:
    """The models of one worker process: loaded on first use, then kept.

    Never call it in the Celery parent process: torch must first run after the fork, and
    CTranslate2 objects are not fork-safe. Should a process with loaded models fork anyway,
    the child drops what it inherited and loads its own.
    """

    def __init__(
        self, settings: Settings, on_load: Callable[[ModelRole, float], None] | None = None
    ) -> None:
        self.settings = settings
        self.on_load = on_load
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._translator: Translator | None = None
        self._summarizer: Summarizer | None = None
        self.load_seconds: dict[ModelRole, float] = {}

    def _forget_if_forked(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._lock = threading.Lock()
            self._translator = self._summarizer = None
            self.load_seconds = {}

    def translator(self) -> Translator:
        self._forget_if_forked()
        with self._lock:
            if self._translator is None:
                self._translator = self._timed("translation", self._backend().load_translator)
            return self._translator

    def summarizer(self) -> Summarizer:
        self._forget_if_forked()
        with self._lock:
            if self._summarizer is None:
                self._summarizer = self._timed("summary", self._backend().load_summarizer)
            return self._summarizer

    def _backend(self) -> Any:
        """The engine module named by TARJAMA_ENGINE (imported here: after the fork)."""
        if self.settings.engine == "transformers":
            from tarjama.worker.engines import transformers_engine

            return transformers_engine
        if self.settings.engine == "ctranslate2":
            from tarjama.worker.engines import ctranslate2_engine

            return ctranslate2_engine
        raise ConfigurationError(f"TARJAMA_ENGINE={self.settings.engine!r} is not available")

    @property
    def loaded(self) -> list[ModelRole]:
        roles: list[ModelRole] = []
        if self._translator is not None:
            roles.append("translation")
        if self._summarizer is not None:
            roles.append("summary")
        return roles

    def _timed(self, role: ModelRole, loader: Callable[[ModelSpec, Path, Settings], T]) -> T:
        spec = ModelSpec.for_role(role, self.settings)
        started = time.perf_counter()
        engine = loader(spec, locate(spec), self.settings)
        self.load_seconds[role] = round(time.perf_counter() - started, 3)
        log.info("loaded %s model %s in %.1fs", role, spec.name, self.load_seconds[role])
        if self.on_load is not None:
            self.on_load(role, self.load_seconds[role])
        return engine
