"""Translation through the real queue: a redis-server, prefork workers, the tiny MarianMT."""

from __future__ import annotations

from typing import Any

import pytest

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.text import split_blocks, split_sentences
from tests.conftest import StartWorker, TokenCount
from tests.helpers import arabic_word, run_job, settings_from_env, unique_article
from tests.test_markup import as_html

pytestmark = pytest.mark.usefixtures("worker")


def translate(client: TarjamaClient, text: str, **fields: Any) -> dict[str, Any]:
    status = run_job(client, unique_article(text, **fields), kind="translation")
    assert status.ok, status.error
    assert status.result is not None
    return status.result


def pairs(result: dict[str, Any]) -> list[dict[str, str]]:
    return [pair for paragraph in result["paragraphs"] for pair in paragraph["sentences"]]


def test_real_article_one_aligned_pair_per_sentence(
    client: TarjamaClient, real_article: str
) -> None:
    # Given the real article and its sentences, paragraph by paragraph
    expected = [
        [s for line in lines for s in split_sentences(line)] for lines in split_blocks(real_article)
    ]
    # When it is translated through the queue
    result = translate(client, real_article)
    # Then there is one {source, translation} pair per sentence, in the article's order
    assert [[p["source"] for p in par["sentences"]] for par in result["paragraphs"]] == expected
    assert result["counts"]["sentences"] == len(pairs(result)) == sum(map(len, expected))
    assert all(pair["translation"] for pair in pairs(result))
    # and the English text is those translations joined
    assert result["text"] == "\n\n".join(
        " ".join(p["translation"] for p in par["sentences"]) for par in result["paragraphs"]
    )


def test_html_translates_as_its_plain_text(client: TarjamaClient, real_article: str) -> None:
    # Given the real article as plain text and as a CMS's HTML of it (entities, spans, a script)
    plain = translate(client, real_article)
    # When the HTML goes through the queue
    marked = translate(client, as_html(real_article), format="html")
    # Then the paragraphs, sentence pairs and English text are the same
    assert marked["article"]["format"] == "html"
    assert marked["paragraphs"] == [
        {"sentences": [{**p, "origin": "cache"} for p in par["sentences"]]}
        for par in plain["paragraphs"]
    ]
    assert marked["text"] == plain["text"]


def test_non_arabic_sentences_pass_through(client: TarjamaClient) -> None:
    # Given an article with a URL, a number and an English quote on lines of their own
    text = f"قال {arabic_word()} إن الموقع جديد.\nhttps://example.com/news?id=7\n2024\nWe will win."
    # When translated
    result = translate(client, text)
    # Then those pass through untouched, and the result says so
    origins = {p["source"]: (p["origin"], p["translation"]) for p in pairs(result)}
    for source in ("https://example.com/news?id=7", "2024", "We will win."):
        assert origins[source] == ("passthrough", source)
    assert result["counts"]["passthrough_sentences"] == 3


def test_3000_token_sentence_is_translated_whole(
    client: TarjamaClient, marian_count: TokenCount
) -> None:
    # Given one sentence of more than 3,000 tokens of the worker's model, no full stop inside
    count, limit = marian_count
    clause = "وقال المتحدث إن القوات تقدمت نحو المدينة بعد معارك عنيفة استمرت أياما"
    sentence = "، ".join(f"{clause} {arabic_word()}" for _ in range(160)) + "."
    assert count(sentence) > 3000 > 5 * limit
    # When it goes through the queue
    result = translate(client, sentence)
    # Then it is one pair, translated in pieces that fit the model, not cut short
    (pair,) = pairs(result)
    assert pair["source"] == sentence
    assert pair["translation"]
    assert result["counts"]["over_limit_sentences"] == 1


def two_articles() -> tuple[str, str, int]:
    """Two articles sharing two sentences and an agency tag; the second has 5 sentences."""
    tag = f"({arabic_word()} اونلاين)"
    shared = [f"أعلنت الوزارة {arabic_word()} خطة جديدة.", f"وقال {arabic_word()} إنها مهمة."]
    first = f"بدأ {arabic_word()} الاجتماع. {shared[0]}\n{shared[1]}\n{tag}"
    second = f"{shared[0]} ثم {arabic_word()} انتهى.\n{shared[1]} وذهب {arabic_word()}.\n{tag}"
    return first, second, 3


def test_second_article_hits_the_cache_for_shared_sentences(client: TarjamaClient) -> None:
    # Given a first article translated through the queue
    first, second, shared = two_articles()
    translate(client, first)
    # When a second article sharing sentences and the agency tag is translated
    result = translate(client, second)
    # Then those come from the cache, the rest from the model, and the counts say so
    assert (result["counts"]["cache_hits"], result["counts"]["cache_misses"]) == (shared, 2)
    assert [p["origin"] for p in pairs(result)] == ["cache", "model", "cache", "model", "cache"]


def test_other_decoding_settings_miss_the_cache(
    client: TarjamaClient, worker_factory: StartWorker, base_env: dict[str, str]
) -> None:
    # Given two overlapping articles translated by the session's worker (2 beams)
    first, second, _ = two_articles()
    translate(client, first)
    # and a worker with 1 beam, on queues of its own, sharing Redis and the cache
    env = {
        "TARJAMA_TRANSLATION_BEAMS": "1",
        "TARJAMA_TRANSLATE_QUEUE": "beams1.translate",
        "TARJAMA_SUMMARIZE_QUEUE": "beams1.summarize",
    }
    worker_factory("--concurrency=1", env=env, name="beams1")
    one_beam = TarjamaClient(settings_from_env({**base_env, **env}))
    # When it translates the second article
    status = run_job(one_beam, unique_article(second), kind="translation")
    # Then nothing comes from the 2-beam translations in the cache
    assert status.ok, status.error
    assert status.result is not None
    assert status.result["counts"]["cache_hits"] == 0
    assert {p["origin"] for p in pairs(status.result)} == {"model"}


def test_html_with_no_text_is_a_stored_invalid_article(client: TarjamaClient) -> None:
    # Given HTML whose only content is markup, a script and a style
    job = unique_article("<div><script>x()</script><style>p{}</style></div>", format="html")
    # When it goes through the queue
    status = run_job(client, job, kind="translation")
    # Then it is a stored failure that says why
    assert status.error is not None
    assert status.error["code"] == "invalid_article"
    assert "outside the markup" in status.error["message"]
