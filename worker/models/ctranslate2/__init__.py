"""The CTranslate2 path (``TARJAMA_ENGINE=ctranslate2``, the default): fast int8 on CPU.

``prepare`` runs in the CLI's parent process: it converts the checkpoint once into the
model cache, in a child process (:mod:`.conversion`, :mod:`.converter`). The loaders run in
worker processes and import ``ctranslate2``, never torch or transformers.

* :mod:`.manifest`: what tarjama keeps beside CTranslate2's files (decoding rules, tokenizer
  kind); :mod:`.subwords`: text to tokens without transformers.
* :mod:`.conversion` (no torch), :mod:`.converter` (the child process: torch).
* :mod:`.seq2seq`: encoder-decoder models (``ctranslate2.Translator``).

What comes next goes beside them: decoder-only summarizers (``ctranslate2.Generator``) in
a module of their own, which :func:`load_summarizer` picks for such a checkpoint;
ready-made CTranslate2 directories, which :func:`prepare` returns without converting; a
vocabulary shortlist for Marian models, written at conversion and used by :mod:`.seq2seq`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from tarjama.worker.models.ctranslate2.seq2seq import (
        CTranslate2Summarizer,
        CTranslate2Translator,
    )
    from tarjama.worker.models.spec import ModelSpec
    from tarjama.worker.settings import Settings


def prepare(spec: ModelSpec, checkpoint: Path, settings: Settings) -> Path:
    """The converted copy of the checkpoint, converting it first (in a child process)."""
    from tarjama.worker.models.ctranslate2.conversion import ensure_converted

    return ensure_converted(spec, checkpoint, settings.compute_type)


def load_translator(spec: ModelSpec, checkpoint: Path, settings: Settings) -> CTranslate2Translator:
    from tarjama.worker.models.ctranslate2 import seq2seq

    return seq2seq.load_translator(spec, checkpoint, settings)


def load_summarizer(spec: ModelSpec, checkpoint: Path, settings: Settings) -> CTranslate2Summarizer:
    from tarjama.worker.models.ctranslate2 import seq2seq

    return seq2seq.load_summarizer(spec, checkpoint, settings)
