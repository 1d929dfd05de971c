"""The reference path (``TARJAMA_ENGINE=transformers``): Hugging Face transformers on torch.

``prepare`` has nothing to do (transformers loads the checkpoint as it is); the loaders
import torch, so they run only in worker processes, after the fork.

* :mod:`.common`: loading a checkpoint, the device, ``generate``, what tarjama reads from a
  model (family, input limit, digests);
* :mod:`.seq2seq`: encoder-decoder models (``AutoModelForSeq2SeqLM``).

A decoder-only summarizer (``AutoModelForCausalLM``) goes in a module beside
:mod:`.seq2seq`, which :func:`load_summarizer` picks for such a checkpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from tarjama.worker.models.spec import ModelSpec
    from tarjama.worker.models.transformers.seq2seq import (
        TransformersSummarizer,
        TransformersTranslator,
    )
    from tarjama.worker.settings import Settings


def prepare(spec: ModelSpec, checkpoint: Path, settings: Settings) -> Path:
    """The checkpoint itself: transformers loads it as it is."""
    return checkpoint


def load_translator(
    spec: ModelSpec, checkpoint: Path, settings: Settings
) -> TransformersTranslator:
    from tarjama.worker.models.transformers import seq2seq

    return seq2seq.load_translator(spec, checkpoint, settings)


def load_summarizer(
    spec: ModelSpec, checkpoint: Path, settings: Settings
) -> TransformersSummarizer:
    from tarjama.worker.models.transformers import seq2seq

    return seq2seq.load_summarizer(spec, checkpoint, settings)
