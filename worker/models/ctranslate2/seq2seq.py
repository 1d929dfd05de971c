"""CTranslate2 encoder-decoder models (``ctranslate2.Translator``): MarianMT, BART, T5.

The checkpoint is converted once into the model cache (:mod:`.conversion`); this module
loads the converted copy and never imports torch or transformers, which keeps a worker
process that holds both models small. CTranslate2 objects are not fork-safe: create them
only in the worker process (the model registry does, after the fork).

A translation runs the article's sentences, sorted by length, through one
``translate_batch`` call (faster on 2 cores than 256-token sub-batches, as measured when
this engine was chosen); decoding
mirrors what ``generate`` does with the checkpoint's generation config (forced BOS as a
target prefix, forced EOS, suppressed words), so both engines agree token for token.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ctranslate2

from tarjama.worker.errors import ModelUnavailable, ResourceExhausted
from tarjama.worker.models.ctranslate2.conversion import content_digest, ensure_converted
from tarjama.worker.models.ctranslate2.manifest import Manifest
from tarjama.worker.models.ctranslate2.subwords import Subwords, load_subwords
from tarjama.worker.models.engine import (
    BUDGET_RULE,
    Decoding,
    ModelInfo,
    check_input_lengths,
    translation_budget,
)
from tarjama.worker.models.spec import ModelSpec

if TYPE_CHECKING:
    from tarjama.worker.settings import Settings

log = logging.getLogger(__name__)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


def release_free_memory() -> None:
    """Hand the heap's free pages back to the system after a call.

    Decoding grows its caches step by step; glibc keeps the freed, fragmented heap, and a
    worker process's resident memory crept up job after job (measured: from 0.77 to
    0.93 GB over four articles). Trimming after each call cost no measurable time.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _warn_mkl_on_amd() -> None:
    """CT2_USE_MKL=1 forces Intel MKL: an article took 10x as long on an AMD CPU here."""
    if os.environ.get("CT2_USE_MKL", "").lower() not in ("1", "true", "on"):
        return
    try:
        amd = "AuthenticAMD" in Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return
    if amd:
        log.warning("CT2_USE_MKL=1 on an AMD CPU makes CTranslate2 many times slower; unset it")


class CTranslate2Model:
    """One converted model and its tokenizer: tokens in, tokens out."""

    def __init__(self, model: Any, subwords: Subwords, manifest: Manifest, info: ModelInfo) -> None:
        self.model = model
        self.subwords = subwords
        self.manifest = manifest
        self.info = info
        self.max_input_tokens = manifest.max_input_tokens

    def decoding_steps(self, min_new_tokens: int, max_new_tokens: int) -> tuple[int, int]:
        """A transformers new-token budget as CTranslate2's (min, max) decoding lengths.

        Both count a forced BOS; transformers spends the last step of the budget on a
        forced EOS, which CTranslate2 adds without a step (and does not return).
        """
        max_length = max(1, max_new_tokens - (1 if self.manifest.forced_eos else 0))
        return min(min_new_tokens, max_length), max_length

    def generate(
        self,
        sources: Sequence[Sequence[str]],
        *,
        num_beams: int,
        min_length: int,
        max_length: int,
        length_penalty: float | None = None,
        no_repeat_ngram_size: int | None = None,
        max_batch_tokens: int = 0,
    ) -> list[list[str]]:
        """Output tokens for each source (forced prefix and EOS left out), one batch call.

        Lengths are CTranslate2's: decoding steps, a forced prefix included. The batch is
        sorted by length first (less padding), and the outputs returned in input order.
        ``max_batch_tokens`` bounds memory: CTranslate2 splits a larger batch itself.
        """
        if not sources:
            return []
        m = self.manifest
        order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
        prefix = [m.target_prefix] * len(order) if m.target_prefix else None
        try:
            results = self.model.translate_batch(
                [list(sources[i]) for i in order],
                target_prefix=prefix,
                beam_size=num_beams,
                min_decoding_length=min_length,
                max_decoding_length=max_length,
                length_penalty=m.length_penalty if length_penalty is None else length_penalty,
                no_repeat_ngram_size=(
                    m.no_repeat_ngram_size if no_repeat_ngram_size is None else no_repeat_ngram_size
                ),
                repetition_penalty=m.repetition_penalty,
                suppress_sequences=m.suppress_sequences or None,
                max_input_length=0,  # limits are checked before: never truncate silently
                max_batch_size=max_batch_tokens,
                batch_type="tokens",
            )
        except RuntimeError as exc:
            if "out of memory" in str(exc).lower():  # retried: another process may hold it
                raise ResourceExhausted(f"out of memory during generation: {exc}") from exc
            raise
        finally:
            release_free_memory()
        outputs: list[list[str]] = [[] for _ in sources]
        skip = len(m.target_prefix)
        for index, result in zip(order, results, strict=True):
            outputs[index] = list(result.hypotheses[0][skip:])
        return outputs


class CTranslate2Translator(CTranslate2Model):
    def __init__(
        self,
        model: Any,
        subwords: Subwords,
        manifest: Manifest,
        info: ModelInfo,
        settings: Settings,
        checkpoint: str,
    ) -> None:
        super().__init__(model, subwords, manifest, info)
        self.num_beams = settings.translation_beams
        self.batch_tokens = settings.translation_batch_tokens
        self._checkpoint = checkpoint

    @property
    def decoding_fingerprint(self) -> str:
        """Beams, the output budget and the checkpoint's content (never another model's)."""
        return f"beams={self.num_beams};{BUDGET_RULE};checkpoint={self._checkpoint}"

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(tokens) for tokens in self.subwords.encode(texts)] if texts else []

    def translate(
        self, sentences: Sequence[str], on_progress: Callable[[int], None] | None = None
    ) -> list[str]:
        if not sentences:
            return []
        sources = self.subwords.encode(sentences)
        lengths = [len(tokens) for tokens in sources]
        check_input_lengths(lengths, self.max_input_tokens)
        min_length, max_length = self.decoding_steps(
            0, translation_budget(max(lengths), self.max_input_tokens)
        )
        outputs = self.generate(
            sources,
            num_beams=self.num_beams,
            min_length=min_length,
            max_length=max_length,
            max_batch_tokens=self.batch_tokens,
        )
        if on_progress:
            on_progress(len(sentences))  # one call for the whole article: progress at its end
        return [self.subwords.decode(tokens).strip() for tokens in outputs]


class CTranslate2Summarizer(CTranslate2Model):
    def count_tokens(self, text: str) -> int:
        return len(self.subwords.encode([text])[0])

    def summarize(self, prompt: str, decoding: Decoding) -> str:
        source = self.subwords.encode([prompt])[0]
        check_input_lengths([len(source)], self.max_input_tokens)
        min_length, max_length = self.decoding_steps(
            decoding.min_new_tokens, decoding.max_new_tokens
        )
        [tokens] = self.generate(
            [source],
            num_beams=decoding.num_beams,
            min_length=min_length,
            max_length=max_length,
            length_penalty=decoding.length_penalty,
            no_repeat_ngram_size=decoding.no_repeat_ngram_size,
        )
        return self.subwords.decode(tokens).strip()


def _load(
    spec: ModelSpec, path: Path, settings: Settings
) -> tuple[Any, Subwords, Manifest, ModelInfo]:
    _warn_mkl_on_amd()
    directory = ensure_converted(spec, path, settings.compute_type)
    try:
        manifest = Manifest.read(directory)
        model = ctranslate2.Translator(
            str(directory),
            device=settings.device,
            compute_type=settings.compute_type,
            intra_threads=settings.threads_per_process,
            inter_threads=settings.inter_threads,
        )
        subwords = load_subwords(directory, manifest)
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise ModelUnavailable(
            f"{spec.stage.model} model {spec.name!r} converted at {directory} could not be loaded "
            f"({settings.compute_type} on {settings.device}): {exc}"
        ) from exc
    info = ModelInfo(
        id=spec.name,
        revision=spec.revision,
        engine="ctranslate2",
        family=manifest.family,
        compute_type=settings.compute_type,
    )
    return model, subwords, manifest, info


def load_translator(spec: ModelSpec, path: Path, settings: Settings) -> CTranslate2Translator:
    return CTranslate2Translator(
        *_load(spec, path, settings), settings=settings, checkpoint=content_digest(path)
    )


def load_summarizer(spec: ModelSpec, path: Path, settings: Settings) -> CTranslate2Summarizer:
    return CTranslate2Summarizer(*_load(spec, path, settings))
