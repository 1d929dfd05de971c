"""Both engines on the tiny real models: CTranslate2 (float32) must decode exactly as the
transformers reference does, greedy, token for token; int8 must still be well-formed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tarjama.worker.models import ctranslate2 as ctranslate2_path
from tarjama.worker.models import transformers as transformers_path
from tarjama.worker.models.engine import Decoding
from tarjama.worker.models.spec import ModelSpec
from tarjama.worker.models.transformers import common as transformers_common
from tarjama.worker.settings import Settings
from tarjama.worker.stages import SUMMARIZE, TRANSLATE, Stage
from tarjama.worker.text import split_paragraphs, split_sentences
from tests.helpers import settings_from_env

GREEDY_SUMMARIES = [
    Decoding(num_beams=1, min_new_tokens=0, max_new_tokens=12),
    Decoding(num_beams=1, min_new_tokens=20, max_new_tokens=40, no_repeat_ngram_size=3),
    Decoding(num_beams=1, min_new_tokens=25, max_new_tokens=25),
]
ENGLISH_TEXT = (
    "The government opened a new solar powered desalination plant on Tuesday. "
    "The minister said the project will supply drinking water to half a million people. "
    "Environmental experts welcomed the project but warned about the brine."
)


def _settings(base_env: dict[str, str], summary_model: Path, **env: str) -> Settings:
    return settings_from_env(
        {
            **base_env,
            "TARJAMA_SUMMARY_MODEL": str(summary_model),
            "TARJAMA_TRANSLATION_BEAMS": "1",
            # one batch in both engines: the output budget is per batch
            "TARJAMA_TRANSLATION_BATCH_TOKENS": "1000000",
            **env,
        }
    )


def _load(path: Any, stage: Stage, settings: Settings) -> Any:
    spec = ModelSpec.for_stage(stage, settings)
    load = path.load_translator if stage == TRANSLATE else path.load_summarizer
    return load(spec, Path(spec.name), settings)


def _reference_tokens(engine: Any, texts: list[str], **generate: Any) -> list[list[str]]:
    """What transformers generates, as tokens, special tokens left out."""
    tokenizer = engine.tokenizer
    encoded = tokenizer(texts, return_tensors="pt", padding=True)
    generated = transformers_common.generate(engine.model, encoded, **generate)
    special = set(tokenizer.all_special_tokens)
    return [
        [t for t in tokenizer.convert_ids_to_tokens(row.tolist()) if t not in special]
        for row in generated
    ]


def _without_special(engine: Any, rows: list[list[str]]) -> list[list[str]]:
    special = set(engine.manifest.special_tokens)
    return [[t for t in row if t not in special] for row in rows]


@pytest.fixture(scope="module")
def sentences(real_article: str) -> list[str]:
    return [s for p in split_paragraphs(real_article) for s in split_sentences(p)]


def test_translation_float32_matches_transformers_token_for_token(
    base_env: dict[str, str], tiny_models: dict[str, Path], sentences: list[str]
) -> None:
    # Given the tiny MarianMT in both engines, CTranslate2 in float32, greedy decoding
    settings = _settings(base_env, tiny_models["bart"], TARJAMA_COMPUTE_TYPE="float32")
    reference = _load(transformers_path, TRANSLATE, settings)
    fast = _load(ctranslate2_path, TRANSLATE, settings)
    # When both translate the real article's sentences in one batch
    expected = reference.translate(sentences)
    got = fast.translate(sentences)
    # Then the texts are the same, and so are the tokens behind them
    assert got == expected
    budget = reference.max_new_tokens(max(reference.count_tokens(sentences)))
    ref_tokens = _reference_tokens(reference, sentences, num_beams=1, max_new_tokens=budget)
    low, high = fast.decoding_steps(0, budget)
    fast_tokens = fast.generate(
        fast.subwords.encode(sentences), num_beams=1, min_length=low, max_length=high
    )
    assert _without_special(fast, fast_tokens) == ref_tokens
    assert any(ref_tokens), "the tiny model generated nothing: the comparison proves nothing"
    # and both count tokens alike (the pipeline splits sentences by these counts)
    assert fast.count_tokens(sentences) == reference.count_tokens(sentences)
    assert fast.max_input_tokens == reference.max_input_tokens


@pytest.mark.parametrize("family", ["bart", "t5"])
@pytest.mark.parametrize("decoding", GREEDY_SUMMARIES, ids=["short", "min-max-ngram", "exact"])
def test_summary_float32_matches_transformers(
    base_env: dict[str, str], tiny_models: dict[str, Path], family: str, decoding: Decoding
) -> None:
    # Given the tiny summarizer (BART: forced BOS and EOS; T5: no BOS) in both engines
    settings = _settings(base_env, tiny_models[family], TARJAMA_COMPUTE_TYPE="float32")
    reference = _load(transformers_path, SUMMARIZE, settings)
    fast = _load(ctranslate2_path, SUMMARIZE, settings)
    # When both summarize the same text with the same greedy decoding settings
    expected = reference.summarize(ENGLISH_TEXT, decoding)
    got = fast.summarize(ENGLISH_TEXT, decoding)
    # Then the summaries are identical, as are the input counts and model family
    assert got == expected
    assert fast.count_tokens(ENGLISH_TEXT) == reference.count_tokens(ENGLISH_TEXT)
    assert fast.info.family == reference.info.family == family
    assert fast.info.engine == "ctranslate2"


def test_bart_forced_bos_and_eos_match_token_for_token(
    base_env: dict[str, str], tiny_models: dict[str, Path]
) -> None:
    # Given the tiny BART, whose generation config forces BOS first and EOS last
    settings = _settings(base_env, tiny_models["bart"], TARJAMA_COMPUTE_TYPE="float32")
    reference = _load(transformers_path, SUMMARIZE, settings)
    fast = _load(ctranslate2_path, SUMMARIZE, settings)
    assert fast.manifest.target_prefix == ["<s>"]
    assert fast.manifest.forced_eos
    for new_tokens in (1, 2, 7, 30):
        # When both generate exactly new_tokens tokens (EOS held back until then)
        ref = _reference_tokens(
            reference, [ENGLISH_TEXT], num_beams=1, min_new_tokens=new_tokens,
            max_new_tokens=new_tokens,
        )  # fmt: skip
        low, high = fast.decoding_steps(new_tokens, new_tokens)
        got = fast.generate(
            fast.subwords.encode([ENGLISH_TEXT]), num_beams=1, min_length=low, max_length=high
        )
        # Then the content tokens are the same: the forced BOS and EOS are counted alike
        assert _without_special(fast, got) == ref, new_tokens


@pytest.mark.parametrize("model", ["marian", "bart", "t5"])
def test_tokenization_without_transformers_matches_transformers(
    base_env: dict[str, str], tiny_models: dict[str, Path], sentences: list[str], model: str
) -> None:
    # Given a model's tokenizer as transformers loads it, and as the CTranslate2 engine does
    stage = TRANSLATE if model == "marian" else SUMMARIZE
    settings = _settings(
        {**base_env, "TARJAMA_TRANSLATION_MODEL": str(tiny_models[model])},
        tiny_models[model],
        TARJAMA_COMPUTE_TYPE="float32",
    )
    reference = _load(transformers_path, stage, settings)
    fast = _load(ctranslate2_path, stage, settings)
    texts = [
        *sentences[:5],
        ENGLISH_TEXT,
        "A quote: «نعم»، 2.5 billion $ — ok?",
        "  spaced   out  ",
    ]
    # When both tokenize the same texts
    expected = [
        reference.tokenizer.convert_ids_to_tokens(ids)
        for ids in reference.tokenizer(texts)["input_ids"]
    ]
    # Then the tokens are the same, special tokens included
    assert fast.subwords.encode(texts) == expected
    # and decoding them back gives what transformers gives
    for tokens, ids in zip(expected, reference.tokenizer(texts)["input_ids"], strict=True):
        assert fast.subwords.decode(tokens) == reference.tokenizer.decode(
            ids, skip_special_tokens=True
        )


def test_int8_output_is_well_formed(
    base_env: dict[str, str], tiny_models: dict[str, Path], sentences: list[str]
) -> None:
    # Given both tiny models in the default engine and compute type (int8), beam search
    settings = _settings(base_env, tiny_models["bart"], TARJAMA_TRANSLATION_BEAMS="4")
    assert (settings.engine, settings.compute_type) == ("ctranslate2", "int8")
    translator = _load(ctranslate2_path, TRANSLATE, settings)
    summarizer = _load(ctranslate2_path, SUMMARIZE, settings)
    # When they translate the article and summarize a text
    done: list[int] = []
    translations = translator.translate(sentences, on_progress=done.append)
    summary = summarizer.summarize(ENGLISH_TEXT, Decoding(num_beams=4, min_new_tokens=10))
    # Then there is one clean string per sentence, progress reached the end, and a summary
    assert len(translations) == len(sentences)
    assert all(isinstance(t, str) and t == t.strip() and t for t in translations)
    assert "</s>" not in " ".join(translations)
    assert done[-1] == len(sentences)
    assert summary
    assert "<s>" not in summary
    assert "</s>" not in summary
    assert translator.info.compute_type == summarizer.info.compute_type == "int8"


def test_empty_input_and_too_long_input(
    base_env: dict[str, str], tiny_models: dict[str, Path]
) -> None:
    settings = _settings(base_env, tiny_models["bart"])
    translator = _load(ctranslate2_path, TRANSLATE, settings)
    # Given no sentences, Then no work and no error
    assert translator.translate([]) == []
    assert translator.count_tokens([]) == []
    # Given a sentence over the model's input limit, Then it is refused, never truncated
    with pytest.raises(ValueError, match="exceeds the model's limit"):
        translator.translate(["كلمة " * (translator.max_input_tokens + 10)])
