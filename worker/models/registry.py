"""Which model path serves ``TARJAMA_ENGINE``, and the models of one worker process.

A model path is a subpackage of ``worker/models/`` (``transformers``, ``ctranslate2``)
whose ``__init__`` has the three functions of :class:`ModelPath`: ``prepare`` runs in the
CLI's parent process (no torch: the CTranslate2 path converts in a child process), the
loaders only in worker processes, after the fork. :func:`model_path` picks the path;
within it, the path's loaders pick the module for the checkpoint's architecture (today
encoder-decoder models only: each path's ``seq2seq``).

:class:`ModelRegistry` loads a stage's model lazily, once per process, and remembers the
load times.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from tarjama.worker.errors import ConfigurationError
from tarjama.worker.models.spec import ModelSpec
from tarjama.worker.models.weights import locate
from tarjama.worker.stages import SUMMARIZE, TRANSLATE, ModelKey, Stage

if TYPE_CHECKING:
    from tarjama.worker.models.engine import Summarizer, Translator
    from tarjama.worker.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")


class ModelPath(Protocol):
    """What a model path's package offers (its ``__init__`` module implements it)."""

    def prepare(self, spec: ModelSpec, checkpoint: Path, settings: Settings) -> Path:
        """Everything a worker process will load, on disk; in the parent, before forking."""
        ...

    def load_translator(
        self, spec: ModelSpec, checkpoint: Path, settings: Settings
    ) -> Translator: ...

    def load_summarizer(
        self, spec: ModelSpec, checkpoint: Path, settings: Settings
    ) -> Summarizer: ...


def model_path(settings: Settings) -> ModelPath:
    """The path of TARJAMA_ENGINE (its package imports nothing heavy)."""
    if settings.engine == "transformers":
        from tarjama.worker.models import transformers

        return transformers
    if settings.engine == "ctranslate2":
        from tarjama.worker.models import ctranslate2

        return ctranslate2
    raise ConfigurationError(f"TARJAMA_ENGINE={settings.engine!r} is not available")


def prepare(spec: ModelSpec, settings: Settings) -> Path:
    """Everything a worker process will load, on disk: the checkpoint (downloaded if
    allowed) and what the engine makes of it (CTranslate2: its converted copy). Imports no
    torch, so the CLI runs it before forking workers."""
    return model_path(settings).prepare(spec, locate(spec), settings)


class ModelRegistry:
    """The models of one worker process: loaded on first use, then kept.

    Never call it in the Celery parent process: torch must first run after the fork, and
    CTranslate2 objects are not fork-safe. Should a process with loaded models fork anyway,
    the child drops what it inherited and loads its own.
    """

    def __init__(
        self, settings: Settings, on_load: Callable[[Stage, float], None] | None = None
    ) -> None:
        self.settings = settings
        self.on_load = on_load
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._translator: Translator | None = None
        self._summarizer: Summarizer | None = None
        self.load_seconds: dict[ModelKey, float] = {}

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
                path = model_path(self.settings)
                self._translator = self._timed(TRANSLATE, path.load_translator)
            return self._translator

    def summarizer(self) -> Summarizer:
        self._forget_if_forked()
        with self._lock:
            if self._summarizer is None:
                path = model_path(self.settings)
                self._summarizer = self._timed(SUMMARIZE, path.load_summarizer)
            return self._summarizer

    def load(self, stages: Iterable[Stage]) -> None:
        """Load the models of these stages now (a worker preloading its role's)."""
        load: dict[Stage, Callable[[], object]] = {
            TRANSLATE: self.translator,
            SUMMARIZE: self.summarizer,
        }
        for stage in stages:
            load[stage]()

    @property
    def loaded(self) -> list[ModelKey]:
        loaded = (TRANSLATE, self._translator), (SUMMARIZE, self._summarizer)
        return [stage.model for stage, engine in loaded if engine is not None]

    def _timed(self, stage: Stage, loader: Callable[[ModelSpec, Path, Settings], T]) -> T:
        spec = ModelSpec.for_stage(stage, self.settings)
        started = time.perf_counter()
        engine = loader(spec, locate(spec), self.settings)
        seconds = self.load_seconds[stage.model] = round(time.perf_counter() - started, 3)
        log.info("loaded %s model %s in %.1fs", stage.model, spec.name, seconds)
        if self.on_load is not None:
            self.on_load(stage, seconds)
        return engine
