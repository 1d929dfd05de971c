"""Encoder-decoder models with ``AutoModelForSeq2SeqLM.generate``: MarianMT, BART, T5.

Imports torch: only ever import this module inside a worker process, after the fork.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from transformers import AutoModelForSeq2SeqLM

from tarjama.worker.models.engine import (
    BUDGET_RULE,
    Decoding,
    ModelInfo,
    check_input_lengths,
    translation_budget,
)
from tarjama.worker.models.spec import ModelSpec
from tarjama.worker.models.transformers.common import (
    generate,
    generation_digest,
    input_limit,
    load_checkpoint,
    model_info,
    weights_digest,
)

if TYPE_CHECKING:
    from tarjama.worker.settings import Settings


class TransformersTranslator:
    """Translates sentences in length-sorted batches, one ``generate`` call per batch."""

    def __init__(
        self, tokenizer: Any, model: Any, device: torch.device, info: ModelInfo, settings: Settings
    ) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.device = device
        self.info = info
        self.num_beams = settings.translation_beams
        self.batch_tokens = settings.translation_batch_tokens
        self.max_input_tokens = input_limit(model.config, tokenizer)
        self._checkpoint = f"gen={generation_digest(model)};weights={weights_digest(model)}"

    @property
    def decoding_fingerprint(self) -> str:
        """Beams, the output budget, the model's generation defaults, and its weights."""
        return f"beams={self.num_beams};{BUDGET_RULE};{self._checkpoint}"

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(ids) for ids in self.tokenizer(list(texts))["input_ids"]]

    def max_new_tokens(self, source_tokens: int) -> int:
        return translation_budget(source_tokens, self.max_input_tokens)

    def _batches(self, order: list[int], lengths: list[int]) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in order:
            # padded batch cost: longest length x rows (order is ascending, so this one)
            if batch and lengths[index] * (len(batch) + 1) > self.batch_tokens:
                yield batch
                batch = []
            batch.append(index)
        if batch:
            yield batch

    def translate(
        self, sentences: Sequence[str], on_progress: Callable[[int], None] | None = None
    ) -> list[str]:
        lengths = self.count_tokens(sentences)
        check_input_lengths(lengths, self.max_input_tokens)
        order = sorted(range(len(sentences)), key=lambda i: lengths[i])
        out: list[str] = [""] * len(sentences)
        done = 0
        for batch in self._batches(order, lengths):
            encoded = self.tokenizer(
                [sentences[i] for i in batch], return_tensors="pt", padding=True
            ).to(self.device)
            generated = generate(
                self.model,
                encoded,
                num_beams=self.num_beams,
                max_new_tokens=self.max_new_tokens(max(lengths[i] for i in batch)),
            )
            texts = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
            for i, text in zip(batch, texts, strict=True):
                out[i] = text.strip()
            done += len(batch)
            if on_progress:
                on_progress(done)
        return out


class TransformersSummarizer:
    def __init__(self, tokenizer: Any, model: Any, device: torch.device, info: ModelInfo) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.device = device
        self.info = info
        self.max_input_tokens = input_limit(model.config, tokenizer)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])

    def summarize(self, prompt: str, decoding: Decoding) -> str:
        encoded = self.tokenizer(prompt, return_tensors="pt").to(self.device)
        check_input_lengths([encoded["input_ids"].shape[1]], self.max_input_tokens)
        generated = generate(
            self.model,
            encoded,
            num_beams=decoding.num_beams,
            max_new_tokens=decoding.max_new_tokens,
            min_new_tokens=decoding.min_new_tokens,
            length_penalty=decoding.length_penalty,
            no_repeat_ngram_size=decoding.no_repeat_ngram_size,
            early_stopping=True,
        )
        return str(self.tokenizer.decode(generated[0], skip_special_tokens=True)).strip()


def load_translator(spec: ModelSpec, path: Path, settings: Settings) -> TransformersTranslator:
    tokenizer, model, device = load_checkpoint(spec, path, settings, AutoModelForSeq2SeqLM)
    info = model_info(spec, model, device)
    return TransformersTranslator(tokenizer, model, device, info, settings)


def load_summarizer(spec: ModelSpec, path: Path, settings: Settings) -> TransformersSummarizer:
    tokenizer, model, device = load_checkpoint(spec, path, settings, AutoModelForSeq2SeqLM)
    return TransformersSummarizer(tokenizer, model, device, model_info(spec, model, device))
