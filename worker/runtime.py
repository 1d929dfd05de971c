"""What one worker process holds: models, the language identifier, styles and Redis helpers,
all created lazily.

Created with the app (no I/O); styles are validated when a worker starts; models load in
each worker process after the fork (``worker_process_init``) or on first use.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from tarjama.worker.errors import TarjamaError
from tarjama.worker.language import LanguageIdentifier
from tarjama.worker.metrics import Metrics
from tarjama.worker.models.registry import ModelRegistry
from tarjama.worker.results import JobLedger, RedisSentenceCache, ResultsStream
from tarjama.worker.stages import TRANSLATE, Stage, stages_of
from tarjama.worker.styles import StyleBook

if TYPE_CHECKING:
    from redis import Redis

    from tarjama.worker.settings import Settings

log = logging.getLogger(__name__)


class WorkerRuntime:
    def __init__(self, settings: Settings, redis: Callable[[], Redis] | None) -> None:
        """``redis`` gives tarjama's own Redis client (:func:`worker.connections.redis_client`,
        the result store's Redis); None for a process without Redis
        (a benchmark of the engines alone): then counters are not kept and the sentence
        cache is off."""
        self.settings = settings
        self.models = ModelRegistry(settings, on_load=self._record_load)
        self._redis = redis
        #: this worker's node name (e.g. translate1@host), known once the worker runs
        self.nodename: str | None = None

    def _record_load(self, stage: Stage, seconds: float) -> None:
        loaded = sorted({*self.models.loaded, stage.model})
        node = self.nodename or "unknown"
        self.metrics.model_loaded(node, os.getpid(), stage.model, seconds, loaded)

    @cached_property
    def language(self) -> LanguageIdentifier:
        """The language identifier of the gate (loads its model on first use)."""
        return LanguageIdentifier()

    @cached_property
    def metrics(self) -> Metrics:
        return Metrics(self.redis if self._redis is not None else None)

    @cached_property
    def redis(self) -> Redis:
        """tarjama's own Redis client: ledger, streams, sentence cache and counters."""
        if self._redis is None:
            raise RuntimeError("this runtime has no Redis")
        return self._redis()

    @cached_property
    def styles(self) -> StyleBook:
        return StyleBook.load(self.settings.prompts_dir, self.settings.default_summary_style)

    @cached_property
    def ledger(self) -> JobLedger:
        return JobLedger(self.redis, self.settings.result_ttl)

    @cached_property
    def results_stream(self) -> ResultsStream:
        s = self.settings
        return ResultsStream(self.redis, s.results_stream, s.results_stream_maxlen)

    @cached_property
    def sentence_cache(self) -> RedisSentenceCache | None:
        ttl = self.settings.sentence_cache_ttl
        return RedisSentenceCache(self.redis, ttl) if ttl > 0 and self._redis else None

    def start_process(self, nodename: str | None = None) -> None:
        """In a freshly forked worker process: the role's models if preloading.

        Each engine sets its own threads when it loads (torch only for the transformers
        engine: a CTranslate2 worker never imports torch).
        """
        self.nodename = nodename or self.nodename
        os.environ["TOKENIZERS_PARALLELISM"] = "false"
        if not self.settings.preload_models:
            return
        try:
            stages = stages_of(self.settings.role)
            self.models.load(stages)
            if TRANSLATE in stages:
                self.language.load()
        except TarjamaError as exc:
            # Jobs will fail with this code and message; the CLI's pre-flight should have
            # refused to start first, so this is a model that is present but broken.
            log.error("could not preload models (%s): %s", exc.code, exc.message)
