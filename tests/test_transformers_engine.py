"""The reference engine on tiny real models: real tokenizers, real generate()."""

from __future__ import annotations

from pathlib import Path

import pytest

from tarjama.worker.models.engine import Decoding
from tarjama.worker.models.registry import ModelRegistry
from tarjama.worker.models.transformers.seq2seq import (
    TransformersSummarizer,
    TransformersTranslator,
)
from tarjama.worker.settings import load_settings


@pytest.fixture(scope="module")
def registry(
    tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> ModelRegistry:
    return ModelRegistry(
        load_settings(
            translation_model=str(tiny_models["marian"]),
            summary_model=str(tiny_models["bart"]),
            model_cache_dir=tmp_path_factory.mktemp("cache"),
            translation_beams=2,
            translation_batch_tokens=64,
            engine="transformers",
        )
    )


def test_translator_keeps_order_and_count_across_batches(registry: ModelRegistry) -> None:
    translator = registry.translator()
    assert isinstance(translator, TransformersTranslator)
    sentences = ["قال الوزير.", "افتتحت الحكومة محطة جديدة لتحلية المياه اليوم.", "نعم."] * 4
    seen: list[int] = []
    out = translator.translate(sentences, on_progress=seen.append)
    assert len(out) == len(sentences)
    # identical inputs give identical outputs wherever they sit in the batches
    assert out[0] == out[3] == out[6]
    assert out[1] == out[4]
    assert seen[-1] == len(sentences)
    assert len(seen) > 1  # a 64-token budget makes several generate() calls


def test_translator_reads_the_limit_from_the_config(registry: ModelRegistry) -> None:
    translator = registry.translator()
    assert translator.max_input_tokens == 512
    assert translator.info.family == "marian"
    assert "beams=2" in translator.decoding_fingerprint


def test_translator_refuses_input_over_the_limit(registry: ModelRegistry) -> None:
    with pytest.raises(ValueError, match="exceeds"):
        registry.translator().translate(["كلمة " * 800])


def test_output_length_is_bounded_by_the_source(registry: ModelRegistry) -> None:
    translator = registry.translator()
    assert isinstance(translator, TransformersTranslator)
    assert translator.max_new_tokens(10) == 25
    assert translator.max_new_tokens(10_000) == 512


def test_summarizer_generates_within_decoding_limits(registry: ModelRegistry) -> None:
    summarizer = registry.summarizer()
    assert isinstance(summarizer, TransformersSummarizer)
    assert summarizer.max_input_tokens == 1024
    text = "The government opened a new plant. It cost a lot of money. " * 3
    out = summarizer.summarize(text, Decoding(num_beams=2, max_new_tokens=12, min_new_tokens=4))
    assert isinstance(out, str)
    assert out
