"""The language gate through the real queue: a redis-server, prefork workers, tiny models.

Persian and Urdu articles are refused (or kept untranslated where the deployment says so),
never translated by the Arabic model; Arabic articles, dialects included, are translated,
and paragraphs in other languages inside them pass through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tarjama.tasks.client import JobStatus, TarjamaClient
from tests.conftest import ClientFor, StartWorker
from tests.helpers import own_queues, run_job, unique_article

pytestmark = pytest.mark.usefixtures("worker")

DATA = Path(__file__).resolve().parent / "data" / "language_id.tsv"


def paragraphs(name: str, count: int = 3) -> list[str]:
    """The first paragraphs of one language of the test set (tests/data/language_id.tsv)."""
    lines = DATA.read_text(encoding="utf-8").splitlines()
    found = [line.split("\t")[2] for line in lines if line.startswith(f"{name}\tparagraph\t")]
    return found[:count]


def article(*parts: str) -> str:
    return "\n\n".join(parts)


def pairs(result: dict[str, Any]) -> list[dict[str, str]]:
    return [pair for paragraph in result["paragraphs"] for pair in paragraph["sentences"]]


def succeeded(status: JobStatus) -> dict[str, Any]:
    assert status.ok, status.error
    assert status.result is not None
    return status.result


def refused(status: JobStatus) -> str:
    assert status.error is not None, "the job succeeded"
    assert status.error["code"] == "unsupported_language", status.error
    return str(status.error["message"])


@pytest.mark.parametrize(
    ("name", "kind", "said"),
    [("fa", "article", "Persian (fa"), ("ur", "translation", "Urdu (ur")],
)
def test_persian_and_urdu_articles_are_refused(
    client: TarjamaClient, name: str, kind: str, said: str
) -> None:
    # Given a Persian (or Urdu) article, sent as if it were Arabic
    job = unique_article(article(*paragraphs(name)), title=paragraphs(name, 1)[0][:60])
    # When it goes through the queue
    status = run_job(client, job, kind=kind)
    # Then it is a stored unsupported_language failure naming the language, never a translation
    message = refused(status)
    assert said in message
    assert "confidence 0.9" in message


def test_an_arabic_article_passes_its_english_and_persian_paragraphs_through(
    client: TarjamaClient,
) -> None:
    # Given an Arabic article with an English and a Persian paragraph among its own
    arabic, english, persian = paragraphs("ar-msa"), paragraphs("en", 1), paragraphs("fa", 1)
    text = article(arabic[0], english[0], arabic[1], persian[0], arabic[2])
    # When it is translated through the queue
    result = succeeded(run_job(client, unique_article(text), kind="translation"))
    # Then the Arabic is translated, and the other two pass through as written, with their
    # language
    by_paragraph = result["paragraphs"]
    assert [p.get("language", {}).get("code") for p in by_paragraph] == [
        None,
        "en",
        None,
        "fa",
        None,
    ]
    for index in (0, 2, 4):
        assert {s["origin"] for s in by_paragraph[index]["sentences"]} <= {"model", "cache"}
    for index, source in ((1, english[0]), (3, persian[0])):
        sentences = by_paragraph[index]["sentences"]
        assert {s["origin"] for s in sentences} == {"passthrough"}
        assert " ".join(s["translation"] for s in sentences) == source
        assert by_paragraph[index]["language"]["confidence"] > 0.9
    assert result["language"]["code"] == "ar"
    assert result["language"]["passthrough"] is False
    passthrough = len(by_paragraph[1]["sentences"]) + len(by_paragraph[3]["sentences"])
    assert result["counts"]["passthrough_sentences"] == passthrough


def test_a_mixed_article_is_summarized_too(client: TarjamaClient) -> None:
    # Given an Arabic article with a Persian paragraph
    text = article(*paragraphs("ar-msa", 2), paragraphs("fa", 1)[0])
    # When the whole job runs (translation, then summary)
    result = succeeded(run_job(client, unique_article(text)))
    # Then it ends with a summary, and the Persian paragraph untranslated
    assert result["summary"]["text"]
    assert result["paragraphs"][2]["language"]["code"] == "fa"


@pytest.mark.parametrize("name", ["ar-egy", "ar-lev"], ids=["egyptian", "levantine"])
def test_egyptian_and_levantine_arabic_are_translated(client: TarjamaClient, name: str) -> None:
    # Given an article in Egyptian (or Levantine) Arabic
    job = unique_article(article(*paragraphs(name)))
    # When the whole job runs
    result = succeeded(run_job(client, job))
    # Then it is translated and summarized as Arabic
    assert {p["origin"] for p in pairs(result)} <= {"model", "cache"}
    assert result["language"]["code"] == "ar"
    assert result["language"]["basis"] == "detected"
    assert result["summary"]["text"]


def test_an_english_headline_passes_through(client: TarjamaClient) -> None:
    # Given an Arabic article with an English headline
    title = "Floods kill five in the southern provinces"
    job = unique_article(article(*paragraphs("ar-msa", 2)), title=title)
    # When it is translated
    result = succeeded(run_job(client, job, kind="translation"))
    # Then the headline is kept as written, and the result says which language it is in
    assert result["title"] == title
    assert {s["origin"] for s in result["title_sentences"]} == {"passthrough"}
    assert result["language"]["title"]["code"] == "en"


def test_source_language_arabic_on_persian_text_is_a_coded_failure(
    client: TarjamaClient,
) -> None:
    # Given Persian text that its producer says is Arabic
    job = unique_article(article(*paragraphs("fa", 2)), source_language="ar")
    # When it goes through the queue
    message = refused(run_job(client, job, kind="translation"))
    # Then the mismatch is stored as such
    assert "source_language is ar, but the article is Persian (fa" in message


def test_source_language_persian_is_refused_at_once(client: TarjamaClient) -> None:
    # Given a job that says its text is Persian (Arabic is the only source language)
    job = unique_article(article(*paragraphs("ar-msa", 2)), source_language="fa")
    # When it goes through the queue
    message = refused(run_job(client, job))
    # Then it is refused for what it says, with a hint that the text is Arabic
    assert "source_language is fa (Persian)" in message
    assert "reads as Arabic" in message


def test_summarize_refuses_a_source_language_other_than_english(
    client: TarjamaClient,
) -> None:
    job = unique_article("The council met on Tuesday.", source_language="ar")
    message = refused(run_job(client, job, kind="summary"))
    assert "tarjama.process_article" in message


@pytest.fixture(scope="module")
def passthrough_client(worker_factory: StartWorker, client_for: ClientFor) -> TarjamaClient:
    """A worker (and its client, on queues of their own) that passes other languages through."""
    env = {"TARJAMA_UNSUPPORTED_LANGUAGES": "passthrough", **own_queues("passthrough")}
    worker_factory("--concurrency=1", env=env, name="passthrough")
    return client_for(env)


@pytest.mark.parametrize(("name", "kind"), [("fa", "article"), ("ur", "translation")])
def test_where_allowed_other_languages_pass_through_untranslated(
    passthrough_client: TarjamaClient, name: str, kind: str
) -> None:
    # Given a deployment that keeps other languages, and a Persian (or Urdu) article
    text = article(*paragraphs(name))
    # When it goes through the queue
    result = succeeded(run_job(passthrough_client, unique_article(text), kind=kind))
    # Then it is stored untranslated, as that language, and not summarized
    assert result["language"] == {
        "code": name,
        "confidence": result["language"]["confidence"],
        "basis": "detected",
        "passthrough": True,
    }
    assert result["language"]["confidence"] > 0.9
    assert {p["origin"] for p in pairs(result)} == {"passthrough"}
    assert result["text"] == text
    assert result["summary"] is None
    assert result["models"]["summary"] is None
