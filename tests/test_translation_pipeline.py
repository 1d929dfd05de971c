"""The translation stage as plain functions: a real tiny MarianMT in this process, the
session's real Redis as the sentence cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis import Redis

from tarjama.worker.jobs import ArticleInput
from tarjama.worker.models.engine import Translator
from tarjama.worker.models.registry import ModelRegistry
from tarjama.worker.pipeline import (
    cache_namespace,
    plan_pieces,
    prepare_document,
    translate_document,
)
from tarjama.worker.results import RedisSentenceCache
from tarjama.worker.settings import Settings
from tarjama.worker.tiny_models import build_marian
from tests.helpers import arabic_word


@pytest.fixture(scope="module")
def translator(settings: Settings) -> Translator:
    return ModelRegistry(settings).translator()


@pytest.fixture
def sentence_cache(redis_client: Redis) -> RedisSentenceCache:
    return RedisSentenceCache(redis_client, ttl=600)


def article(text: str, **fields: object) -> ArticleInput:
    return ArticleInput.model_validate({"text": text, **fields})


def test_document_keeps_the_readers_text_and_normalizes_what_the_model_sees() -> None:
    # Given a paragraph with tatweel, diacritics, guillemets and a zero-width space
    job = article("قال المديــر\u200b: «تمَّ الأمر». ثم غادر.\n\nhttps://example.com")
    # When it is prepared
    document = prepare_document(job)
    # Then sources are the reader's text (invisible characters gone), normalized is the model's
    first, second = document.paragraphs[0]
    assert first.source == "قال المديــر: «تمَّ الأمر»."
    assert first.normalized == 'قال المدير: "تم الأمر".'
    assert second.source == second.normalized == "ثم غادر."
    assert [s.source for s in document.paragraphs[1]] == ["https://example.com"]
    # and diacritics survive when the setting keeps them
    kept = prepare_document(job, keep_diacritics=True)
    assert kept.paragraphs[0][0].normalized == 'قال المدير: "تمَّ الأمر".'


def test_alignment_one_pair_per_sentence_in_order(translator: Translator) -> None:
    # Given an article of paragraphs with several sentences, a URL and a number
    text = "ذهب الولد. عاد مساء؟\nقال: نعم!\n\nhttps://example.com/a\n\n2024"
    document = prepare_document(article(text))
    # When translated
    output = translate_document(document, translator)
    # Then each paragraph holds its sentences in order, each with a translation
    assert [[s.source for s in p] for p in document.paragraphs] == [
        ["ذهب الولد.", "عاد مساء؟", "قال: نعم!"],
        ["https://example.com/a"],
        ["2024"],
    ]
    assert all(s.translation for s in document.segments)
    # and sentences without Arabic letters pass through untranslated
    assert [s.origin for s in document.segments] == ["model"] * 3 + ["passthrough"] * 2
    assert document.paragraphs[1][0].translation == "https://example.com/a"
    # and the English text is the translations joined, paragraph by paragraph
    assert output.text.split("\n\n") == [
        " ".join(s.translation for s in p) for p in document.paragraphs
    ]


def test_over_limit_sentence_is_translated_in_fitting_pieces(translator: Translator) -> None:
    # Given a single "sentence" of far more tokens than the model takes, no full stop inside
    clause = "وقال المتحدث إن القوات تقدمت نحو المدينة بعد معارك عنيفة استمرت أياما"
    sentence = "، ".join(f"{clause} {arabic_word()}" for _ in range(80)) + "."
    assert translator.count_tokens([sentence])[0] > 3 * translator.max_input_tokens
    document = prepare_document(article(sentence))
    assert len(document.segments) == 1
    # When the model's inputs are planned, Then every piece fits and they hold every word
    (pieces,) = plan_pieces([document.segments[0].normalized], translator)
    assert len(pieces) > 3
    assert max(translator.count_tokens(pieces)) <= translator.max_input_tokens
    assert " ".join(pieces).split() == document.segments[0].normalized.split()
    # When it is translated, Then it is one pair, translated in those pieces, not cut short
    output = translate_document(document, translator)
    (segment,) = document.segments
    assert segment.pieces == len(pieces)
    assert output.over_limit_sentences == 1
    assert segment.translation


def test_cache_serves_shared_sentences_of_a_second_article(
    translator: Translator, sentence_cache: RedisSentenceCache
) -> None:
    # Given two articles sharing a sentence and an agency tag (all unique to this test)
    tag = f"({arabic_word()} اونلاين)"
    shared = f"أعلنت الوزارة {arabic_word()} خطة جديدة."
    first = prepare_document(article(f"بدأ {arabic_word()} الاجتماع. {shared}\n\n{tag}"))
    second = prepare_document(article(f"{shared} ثم {arabic_word()} انتهى.\n\n{tag}"))
    # When both are translated with the cache
    one = translate_document(first, translator, cache=sentence_cache)
    two = translate_document(second, translator, cache=sentence_cache)
    # Then the second reuses the shared sentence and the tag, with the same translations
    assert (one.cache_hits, one.cache_misses) == (0, 3)
    assert (two.cache_hits, two.cache_misses) == (2, 1)
    assert [s.origin for s in second.segments] == ["cache", "model", "cache"]
    by_source = {s.source: s.translation for s in first.segments}
    assert all(by_source[s.source] == s.translation for s in second.segments if s.origin == "cache")


def test_cache_never_crosses_decoding_settings_or_weights(
    settings: Settings,
    translator: Translator,
    sentence_cache: RedisSentenceCache,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    corpus_lines: list[str],
) -> None:
    # Given a sentence cached by the session's translator (2 beams)
    text = f"قال {arabic_word()} إن المحادثات مستمرة."
    translate_document(prepare_document(article(text)), translator, cache=sentence_cache)
    # and a translator with 1 beam, and one with other weights at the same model path
    one_beam = ModelRegistry(settings.model_copy(update={"translation_beams": 1})).translator()
    other = build_marian(tmp_path / "same-name", corpus_lines, seed=7)
    other_weights = ModelRegistry(settings.model_copy(update={"translation_model": str(other)}))
    retrained = other_weights.translator()
    retrained.info = translator.info  # the same id, revision, engine and compute type
    # When each translates the sentence with the same cache
    # Then neither gets the cached translation: the namespaces differ
    for changed in (one_beam, retrained):
        assert cache_namespace(changed) != cache_namespace(translator)
        output = translate_document(prepare_document(article(text)), changed, cache=sentence_cache)
        assert (output.cache_hits, output.cache_misses) == (0, 1)
    # while the session's translator hits it again
    again = translate_document(prepare_document(article(text)), translator, cache=sentence_cache)
    assert again.cache_hits == 1
